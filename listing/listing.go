// Package listing renders an agent's tools in the function-calling shape of
// each provider (OpenAI chat completions, plain and strict; the OpenAI
// Responses API; Anthropic, plain and strict; Gemini; MCP) and caches
// the marshalled listings: each prepared tool version is converted once
// per format, and a listing is rebuilt only when the catalog hands out a
// new tool list.
package listing

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	openai "github.com/sashabaranov/go-openai"

	"github.com/toolgate/toolgate/changes"
	"github.com/toolgate/toolgate/schema"
	"github.com/toolgate/toolgate/tools"
)

// Tool listing formats of GET /v1/tools?format=.
const (
	// FormatOpenAI is a chat completions tool: {"type": "function",
	// "function": {...}}.
	FormatOpenAI = "openai"
	// FormatOpenAIStrict is the same with "strict": true where the schema
	// converts to strict mode.
	FormatOpenAIStrict = "openai_strict"
	// FormatOpenAIResponses is a Responses API function tool, flat:
	// {"type": "function", "name", "description", "parameters", "strict"}.
	FormatOpenAIResponses = "openai_responses"
	// FormatAnthropic is a Messages API tool: {"name", "description",
	// "input_schema"}.
	FormatAnthropic = "anthropic"
	// FormatAnthropicStrict is the same with "strict": true where the
	// schema converts and the request's budget of strict tools allows.
	FormatAnthropicStrict = "anthropic_strict"
	FormatGemini          = "gemini"
	FormatMCP             = "mcp"
	// FormatDefault is the format of a listing that names none.
	FormatDefault = FormatOpenAI
)

// Formats are the accepted formats, in the order errors name them.
var Formats = []string{FormatOpenAI, FormatOpenAIStrict, FormatOpenAIResponses, FormatAnthropic, FormatAnthropicStrict,
	FormatGemini, FormatMCP}

// unconvertedTool says why a tool is not listed in the format's own schema
// dialect.
type unconvertedTool struct {
	Name   string `json:"name"`
	Target string `json:"target"`
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Tool shapes of the formats that go-openai does not cover.
type (
	anthropicTool struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		InputSchema json.RawMessage `json:"input_schema"`
	}
	geminiDeclaration struct {
		Name                 string          `json:"name"`
		Description          string          `json:"description"`
		Parameters           json.RawMessage `json:"parameters,omitempty"`
		ParametersJSONSchema json.RawMessage `json:"parametersJsonSchema,omitempty"`
	}
	mcpTool struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		InputSchema json.RawMessage `json:"inputSchema"`
	}
)

// IsFormat reports whether f is one of Formats.
func IsFormat(f string) bool { return slices.Contains(Formats, f) }

// buildListing renders the marshalled listing of the tools in a format,
// from each tool's cached rendering.
func buildListing(rc *renderedToolCache, list []*tools.Prepared, format string) ([]byte, error) {
	var unconv []unconvertedTool
	size := 16
	rendered := make([]renderedTool, len(list))
	var budget strictBudget
	for i, t := range list {
		r, err := rc.get(t, format)
		if err != nil {
			return nil, err
		}
		if r.fallback != nil && !budget.take(r.usage) {
			// Strict, but past what one request may hold in all: listed
			// in the plain shape, and said so.
			u := unconvertedTool{Name: t.Name, Target: schema.TargetAnthropicStrict, Path: schema.RootPath,
				Reason: budget.reason(r.usage)}
			r = renderedTool{json: r.fallback, unconverted: &u}
		}
		rendered[i] = r
		size += len(r.json) + 1
		if r.unconverted != nil {
			unconv = append(unconv, *r.unconverted)
		}
	}
	buf := make([]byte, 0, size)
	buf = append(buf, `{"tools":[`...)
	for i, r := range rendered {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, r.json...)
	}
	buf = append(buf, ']')
	if len(unconv) > 0 {
		data, err := json.Marshal(unconv)
		if err != nil {
			return nil, err
		}
		buf = append(buf, `,"unconverted":`...)
		buf = append(buf, data...)
	}
	return append(buf, '}'), nil
}

// strictBudget adds up what the strict tools of one Anthropic request use
// of the limits on all of them together.
type strictBudget struct {
	tools, optional, unions int
}

// take counts a strict tool in if it fits, and reports whether it did.
func (b *strictBudget) take(u schema.AnthropicStrictUsage) bool {
	if b.tools+1 > schema.AnthropicStrictMaxTools || b.optional+u.Optional > schema.AnthropicStrictMaxOptional ||
		b.unions+u.Unions > schema.AnthropicStrictMaxUnions {
		return false
	}
	b.tools++
	b.optional += u.Optional
	b.unions += u.Unions
	return true
}

// reason says which limit a tool that did not fit would break.
func (b *strictBudget) reason(u schema.AnthropicStrictUsage) string {
	switch {
	case b.tools+1 > schema.AnthropicStrictMaxTools:
		return fmt.Sprintf("listed without strict: the tools before it already use all %d strict tools Anthropic allows in one request", schema.AnthropicStrictMaxTools)
	case b.optional+u.Optional > schema.AnthropicStrictMaxOptional:
		return fmt.Sprintf("listed without strict: its %d optional properties would bring the strict tools of one request past Anthropic's limit of %d (%d used before it)",
			u.Optional, schema.AnthropicStrictMaxOptional, b.optional)
	default:
		return fmt.Sprintf("listed without strict: its %d schemas with alternatives would bring the strict tools of one request past Anthropic's limit of %d (%d used before it)",
			u.Unions, schema.AnthropicStrictMaxUnions, b.unions)
	}
}

// renderTool renders one tool in a format, with the reason when the format
// cannot express its schema.
func renderTool(t *tools.Prepared, format string) (any, *unconvertedTool) {
	raw := t.InputSchema()
	switch format {
	case FormatOpenAIStrict:
		tool, err := OpenAIStrictTool(t)
		if err != nil {
			u := unconverted(t.Name, err)
			return tool, &u
		}
		return tool, nil
	case FormatOpenAIResponses:
		tool, err := schema.OpenAIResponsesTool(t.Name, t.Def.Description, raw)
		if err != nil {
			u := unconverted(t.Name, err)
			return tool, &u
		}
		return tool, nil
	case FormatAnthropic:
		return anthropicTool{Name: t.Name, Description: t.Def.Description, InputSchema: schema.Anthropic(raw)}, nil
	case FormatAnthropicStrict:
		tool, err := schema.AnthropicStrictTool(t.Name, t.Def.Description, raw)
		if err != nil {
			u := unconverted(t.Name, err)
			return tool, &u
		}
		return tool, nil
	case FormatGemini:
		params, err := schema.Gemini(raw)
		if err != nil {
			// Gemini takes full JSON Schema in parametersJsonSchema.
			u := unconverted(t.Name, err)
			return geminiDeclaration{Name: t.Name, Description: t.Def.Description, ParametersJSONSchema: schema.Anthropic(raw)}, &u
		}
		return geminiDeclaration{Name: t.Name, Description: t.Def.Description, Parameters: params}, nil
	case FormatMCP:
		return mcpTool{Name: t.Name, Description: t.Def.Description, InputSchema: schema.MCP(raw)}, nil
	}
	return OpenAITool(t), nil
}

// renderedTool is one tool marshalled in one format.
type renderedTool struct {
	json        []byte
	unconverted *unconvertedTool
	// value is the tool before marshalling.
	value any
	// fallback, for a tool rendered strict in FormatAnthropicStrict, is the
	// tool in FormatAnthropic, listed when the request's budget of strict
	// tools is spent; usage is what it takes of that budget.
	fallback []byte
	usage    schema.AnthropicStrictUsage
}

// renderedToolsMax bounds the cache of rendered tools; it is emptied when
// full.
const renderedToolsMax = 100000

// renderedToolCache caches each prepared tool version's rendering per
// format. Prepared versions are immutable, so an entry never goes stale: an
// agent whose tool list the catalog reloads (a publish, its TTL) is listed
// again from these, converting only the tools that changed.

type renderedKey struct {
	tool   *tools.Prepared
	format string
}

type renderedToolCache struct {
	mu      sync.RWMutex
	entries map[renderedKey]renderedTool
}

func (rc *renderedToolCache) get(t *tools.Prepared, format string) (renderedTool, error) {
	key := renderedKey{t, format}
	rc.mu.RLock()
	r, ok := rc.entries[key]
	rc.mu.RUnlock()
	if ok {
		return r, nil
	}
	v, u := renderTool(t, format)
	data, err := json.Marshal(v)
	if err != nil {
		return renderedTool{}, err
	}
	r = renderedTool{json: data, unconverted: u, value: v}
	if def, ok := v.(schema.AnthropicToolDef); ok && def.Strict {
		plain, _ := renderTool(t, FormatAnthropic)
		if r.fallback, err = json.Marshal(plain); err != nil {
			return renderedTool{}, err
		}
		r.usage = schema.MeasureAnthropicStrict(def.InputSchema)
	}
	rc.mu.Lock()
	if len(rc.entries) >= renderedToolsMax {
		clear(rc.entries)
	}
	rc.entries[key] = r
	rc.mu.Unlock()
	return r, nil
}

// OpenAITool is a tool in OpenAI's function-calling shape, as listed.
func OpenAITool(t *tools.Prepared) openai.Tool {
	return openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
		Name: t.Name, Description: t.Def.Description, Parameters: t.InputSchema()}}
}

// OpenAIStrictTool is a tool in OpenAI's function-calling shape with
// "strict": true, its parameters converted by schema.OpenAIStrict and the
// conversion's note appended to its description. A schema strict mode
// cannot express gives the plain OpenAITool and the
// *schema.NotConvertibleError saying why.
func OpenAIStrictTool(t *tools.Prepared) (openai.Tool, error) {
	params, note, err := schema.OpenAIStrict(t.InputSchema())
	if err != nil {
		return OpenAITool(t), err
	}
	return openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
		Name: t.Name, Description: schema.AppendNote(t.Def.Description, note), Strict: true, Parameters: params}}, nil
}

// ChatTools are the tools as the chat runner offers them to a model: in
// strict form where the schema converts (OpenAIStrictTool), plain
// otherwise. Each tool version is converted once and cached.
func (lc *Cache) ChatTools(list []*tools.Prepared) ([]openai.Tool, error) {
	out := make([]openai.Tool, len(list))
	for i, t := range list {
		r, err := lc.rendered.get(t, FormatOpenAIStrict)
		if err != nil {
			return nil, err
		}
		out[i] = r.value.(openai.Tool)
	}
	return out, nil
}

func unconverted(name string, err error) unconvertedTool {
	u := unconvertedTool{Name: name, Reason: err.Error()}
	var nce *schema.NotConvertibleError
	if errors.As(err, &nce) {
		u.Target, u.Path, u.Reason = nce.Target, nce.Path, nce.Reason
	}
	return u
}

// listingCacheMaxBytes bounds the memory the listing cache holds; it is
// emptied when full.
const listingCacheMaxBytes = 256 << 20

// Cache caches marshalled listings. It is keyed by workspace, agent
// and format, and an entry is good only for the very tool slice it was
// built from: the catalog hands out a new slice whenever it reloads an
// agent's tools (after a change through this replica, or its TTL), so a
// publish shows at once without any extra bookkeeping. Invalidate (on
// every change, see Observe) drops a workspace's entries so they do not
// wait to be overwritten.
type Cache struct {
	mu         sync.Mutex
	workspaces map[string]map[string]listingEntry
	bytes      int
	rendered   *renderedToolCache
}

// NewCache returns an empty listing cache with its own cache of
// rendered tools.
func NewCache() *Cache {
	return &Cache{
		workspaces: map[string]map[string]listingEntry{},
		rendered:   &renderedToolCache{entries: map[renderedKey]renderedTool{}},
	}
}

type listingEntry struct {
	list []*tools.Prepared // the catalog's slice the body was built from
	body []byte
}

// Get returns the marshalled listing of list in format, building it on a
// miss.
func (lc *Cache) Get(workspaceID, agentID, format string, list []*tools.Prepared) ([]byte, error) {
	key := agentID + "\x00" + format
	lc.mu.Lock()
	e, ok := lc.workspaces[workspaceID][key]
	lc.mu.Unlock()
	if ok && sameSlice(e.list, list) {
		return e.body, nil
	}
	body, err := buildListing(lc.rendered, list, format)
	if err != nil {
		return nil, err
	}
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if lc.bytes+len(body) > listingCacheMaxBytes {
		clear(lc.workspaces)
		lc.bytes = 0
	}
	ws := lc.workspaces[workspaceID]
	if ws == nil {
		ws = map[string]listingEntry{}
		lc.workspaces[workspaceID] = ws
	}
	lc.bytes += len(body) - len(ws[key].body)
	ws[key] = listingEntry{list: list, body: body}
	return body, nil
}

// Invalidate drops a workspace's listings.
func (lc *Cache) Invalidate(workspaceID string) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	for _, e := range lc.workspaces[workspaceID] {
		lc.bytes -= len(e.body)
	}
	delete(lc.workspaces, workspaceID)
}

// sameSlice reports whether a and b are the same slice of the catalog (not
// merely equal): the cache entry holds a, so its array cannot be reused.
func sameSlice(a, b []*tools.Prepared) bool {
	if len(a) != len(b) {
		return false
	}
	return len(a) == 0 || &a[0] == &b[0]
}

// Observe drops the listings of a workspace whose tools or agents changed.
// Subscribe it to the change bus.
func (lc *Cache) Observe(c changes.Change) {
	switch {
	case c.Everything():
		lc.mu.Lock()
		clear(lc.workspaces)
		lc.bytes = 0
		lc.mu.Unlock()
	case c.Affects(changes.Tools, changes.Agents, changes.Connections):
		lc.Invalidate(c.WorkspaceID)
	}
}
