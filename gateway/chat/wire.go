package chat

import (
	"encoding/json"

	openai "github.com/sashabaranov/go-openai"
)

// The runner's answers, in the shapes OpenAI's own API emits. go-openai's
// response types are for reading: encoded, they carry Azure's
// content_filter_results and an empty system_fingerprint, and drop a
// logprob of 0.

// completion is a chat.completion object.
type completion struct {
	ID                string             `json:"id"`
	Object            string             `json:"object"`
	Created           int64              `json:"created"`
	Model             string             `json:"model"`
	Choices           []completionChoice `json:"choices"`
	Usage             usage              `json:"usage"`
	ServiceTier       string             `json:"service_tier,omitempty"`
	SystemFingerprint string             `json:"system_fingerprint,omitempty"`
}

type completionChoice struct {
	Index        int           `json:"index"`
	Message      answerMessage `json:"message"`
	Logprobs     *logprobs     `json:"logprobs"`
	FinishReason string        `json:"finish_reason"`
}

// answerMessage is the assistant's answer: its text, or its refusal.
type answerMessage struct {
	Role    string  `json:"role"`
	Content *string `json:"content"`
	Refusal *string `json:"refusal"`
}

// newAnswerMessage is the answer with content null when the model only
// refused.
func newAnswerMessage(content, refusal string) answerMessage {
	m := answerMessage{Role: openai.ChatMessageRoleAssistant}
	if content != "" || refusal == "" {
		m.Content = &content
	}
	if refusal != "" {
		m.Refusal = &refusal
	}
	return m
}

// chunk is a chat.completion.chunk object. Usage is null on every chunk
// when the client asked for usage (stream_options.include_usage) and left
// out otherwise; the last chunk then has it and no choices.
type chunk struct {
	ID                string          `json:"id"`
	Object            string          `json:"object"`
	Created           int64           `json:"created"`
	Model             string          `json:"model"`
	SystemFingerprint string          `json:"system_fingerprint,omitempty"`
	Choices           []chunkChoice   `json:"choices"`
	Usage             json.RawMessage `json:"usage,omitempty"`
}

type chunkChoice struct {
	Index        int        `json:"index"`
	Delta        chunkDelta `json:"delta"`
	Logprobs     *logprobs  `json:"logprobs"`
	FinishReason *string    `json:"finish_reason"`
}

type chunkDelta struct {
	Role    string  `json:"role,omitempty"`
	Content *string `json:"content,omitempty"`
	Refusal *string `json:"refusal,omitempty"`
}

// usage is what the model requests of a turn used, added up.
type usage struct {
	PromptTokens            int                             `json:"prompt_tokens"`
	CompletionTokens        int                             `json:"completion_tokens"`
	TotalTokens             int                             `json:"total_tokens"`
	PromptTokensDetails     *openai.PromptTokensDetails     `json:"prompt_tokens_details,omitempty"`
	CompletionTokensDetails *openai.CompletionTokensDetails `json:"completion_tokens_details,omitempty"`
}

// add adds one model request's usage.
func (u *usage) add(o *openai.Usage) {
	if o == nil {
		return
	}
	u.PromptTokens += o.PromptTokens
	u.CompletionTokens += o.CompletionTokens
	u.TotalTokens += o.TotalTokens
	if d := o.PromptTokensDetails; d != nil {
		if u.PromptTokensDetails == nil {
			u.PromptTokensDetails = &openai.PromptTokensDetails{}
		}
		u.PromptTokensDetails.AudioTokens += d.AudioTokens
		u.PromptTokensDetails.CachedTokens += d.CachedTokens
	}
	if d := o.CompletionTokensDetails; d != nil {
		if u.CompletionTokensDetails == nil {
			u.CompletionTokensDetails = &openai.CompletionTokensDetails{}
		}
		u.CompletionTokensDetails.AudioTokens += d.AudioTokens
		u.CompletionTokensDetails.ReasoningTokens += d.ReasoningTokens
		u.CompletionTokensDetails.AcceptedPredictionTokens += d.AcceptedPredictionTokens
		u.CompletionTokensDetails.RejectedPredictionTokens += d.RejectedPredictionTokens
	}
}

// logprobs are the log probabilities of an answer's tokens.
type logprobs struct {
	Content []tokenLogprob `json:"content"`
	Refusal []tokenLogprob `json:"refusal"`
}

type tokenLogprob struct {
	Token       string       `json:"token"`
	Logprob     float64      `json:"logprob"`
	Bytes       []int        `json:"bytes"`
	TopLogprobs []topLogprob `json:"top_logprobs"`
}

type topLogprob struct {
	Token   string  `json:"token"`
	Logprob float64 `json:"logprob"`
	Bytes   []int   `json:"bytes"`
}

// byteList is a token's UTF-8 bytes as OpenAI lists them (null when none).
func byteList[T byte | int64](b []T) []int {
	if b == nil {
		return nil
	}
	out := make([]int, len(b))
	for i, v := range b {
		out[i] = int(v)
	}
	return out
}

// logprobsOf converts a completion's log probabilities.
func logprobsOf(lp *openai.LogProbs) *logprobs {
	if lp == nil {
		return nil
	}
	out := &logprobs{Content: make([]tokenLogprob, len(lp.Content))}
	for i, t := range lp.Content {
		out.Content[i] = tokenLogprob{Token: t.Token, Logprob: t.LogProb, Bytes: byteList(t.Bytes),
			TopLogprobs: make([]topLogprob, len(t.TopLogProbs))}
		for j, top := range t.TopLogProbs {
			out.Content[i].TopLogprobs[j] = topLogprob{Token: top.Token, Logprob: top.LogProb, Bytes: byteList(top.Bytes)}
		}
	}
	return out
}

// streamLogprobsOf converts a chunk's log probabilities.
func streamLogprobsOf(lp *openai.ChatCompletionStreamChoiceLogprobs) *logprobs {
	if lp == nil {
		return nil
	}
	convert := func(list []openai.ChatCompletionTokenLogprob) []tokenLogprob {
		if list == nil {
			return nil
		}
		out := make([]tokenLogprob, len(list))
		for i, t := range list {
			out[i] = tokenLogprob{Token: t.Token, Logprob: t.Logprob, Bytes: byteList(t.Bytes),
				TopLogprobs: make([]topLogprob, len(t.TopLogprobs))}
			for j, top := range t.TopLogprobs {
				out[i].TopLogprobs[j] = topLogprob{Token: top.Token, Logprob: top.Logprob, Bytes: byteList(top.Bytes)}
			}
		}
		return out
	}
	return &logprobs{Content: convert(lp.Content), Refusal: convert(lp.Refusal)}
}

// appendLogprobs adds a chunk's log probabilities to those of its step.
func appendLogprobs(all, more *logprobs) *logprobs {
	if more == nil {
		return all
	}
	if all == nil {
		all = &logprobs{}
	}
	all.Content = append(all.Content, more.Content...)
	all.Refusal = append(all.Refusal, more.Refusal...)
	return all
}
