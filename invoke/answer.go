package invoke

import (
	"bytes"
	"encoding/json"

	"github.com/toolgate/toolgate/prompts"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// AnswerKind classifies what a model reads of a call.
type AnswerKind int

// Kinds of Answer.
const (
	// AnswerResult: the call succeeded; Text is its shaped result.
	AnswerResult AnswerKind = iota
	// AnswerQueued: the call is a background run that was accepted; Text
	// is the acknowledgement to tell the caller.
	AnswerQueued
	// AnswerInvalid: the arguments were refused; Text says what to fix or
	// ask for, and the model should call again.
	AnswerInvalid
	// AnswerFailed: the call failed; Text says what to tell the caller.
	AnswerFailed
	// AnswerConfirm: the caller must agree first; Text is what to read
	// back and how to call again with the confirmation token. Nothing was
	// sent. (A run awaiting approval answers AnswerQueued.)
	AnswerConfirm
)

// Answer is a call's result as a model reads it. Every surface that hands
// a result to a model (batch tool calls, MCP, voice adapters, the chat
// runner) builds it with AnswerOf and only chooses the envelope.
type Answer struct {
	Kind AnswerKind
	// Text is what the model reads: a text result as its text, any other
	// result as its JSON, or the message (with its hint) of a failure.
	Text string
	// Result is the shaped result of an AnswerResult, for envelopes that
	// carry it as JSON.
	Result json.RawMessage
}

// IsError reports whether the model should read the answer as a failed
// call (invalid arguments or a failure).
func (a Answer) IsError() bool { return a.Kind == AnswerInvalid || a.Kind == AnswerFailed }

// AnswerOf turns a call's result into what the model reads.
func AnswerOf(res *tools.Result) Answer {
	switch {
	case res.Status == store.RunStatusAwaitingApproval:
		text := res.Message
		if text == "" {
			text = prompts.AwaitingApproval(res.Tool, "")
		}
		return Answer{Kind: AnswerQueued, Text: text}
	case res.Outcome == tools.OutcomeNeedsConfirmation && res.Message != "":
		return Answer{Kind: AnswerConfirm, Text: res.Message}
	case res.Status == store.RunStatusQueued || res.Status == store.RunStatusRunning:
		return Answer{Kind: AnswerQueued, Text: prompts.BackgroundAccepted(res.Tool)}
	case res.Outcome == OutcomeCancelled:
		return Answer{Kind: AnswerFailed, Text: prompts.UpstreamFailure(prompts.FailureData{Tool: res.Tool, Outcome: res.Outcome})}
	case res.Error != nil:
		kind := AnswerFailed
		if res.Outcome == tools.OutcomeInvalidArguments {
			kind = AnswerInvalid
		}
		text := res.Error.Message
		if res.Error.Hint != "" {
			text += " " + res.Error.Hint
		}
		if text == "" {
			text = prompts.UpstreamFailure(prompts.FailureData{Tool: res.Tool, Outcome: res.Outcome, StatusCode: res.StatusCode})
		}
		return Answer{Kind: kind, Text: text}
	}
	return Answer{Kind: AnswerResult, Text: ResultText(res.Result), Result: res.Result}
}

// ResultText is a shaped result as text: a JSON string's content, or any
// other JSON value as it is.
func ResultText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var text string
		if json.Unmarshal(raw, &text) == nil {
			return text
		}
	}
	return string(raw)
}
