package listing

import (
	"encoding/json"
	"fmt"

	"github.com/toolgate/toolgate/schema"
)

// assemble joins the pieces of an agent's tools into the marshalled
// listing {"tools": [...], "unconverted": [...]}, skipping nil pieces
// (versions that do not exist). The only work that depends on the whole
// list is the budget of Anthropic's strict tools: a strict piece past it is
// listed in its plain shape, and said so.
func assemble(pieces []*piece) ([]byte, error) {
	size := 16
	var (
		budget      strictBudget
		unconverted [][]byte
	)
	listed := make([][]byte, 0, len(pieces))
	for _, p := range pieces {
		if p == nil {
			continue
		}
		tool, u := p.json, p.unconverted
		if p.fallback != nil && !budget.take(p.usage) {
			data, err := json.Marshal(unconvertedTool{Name: p.name, Target: schema.TargetAnthropicStrict, Path: schema.RootPath,
				Reason: budget.reason(p.usage)})
			if err != nil {
				return nil, err
			}
			tool, u = p.fallback, data
		}
		listed = append(listed, tool)
		size += len(tool) + 1
		if u != nil {
			unconverted = append(unconverted, u)
			size += len(u) + 1
		}
	}
	buf := make([]byte, 0, size+len(`,"unconverted":[]}`))
	buf = append(buf, `{"tools":[`...)
	buf = joined(buf, listed)
	buf = append(buf, ']')
	if len(unconverted) > 0 {
		buf = append(buf, `,"unconverted":[`...)
		buf = joined(buf, unconverted)
		buf = append(buf, ']')
	}
	return append(buf, '}'), nil
}

// joined appends the JSON values, comma-separated.
func joined(buf []byte, values [][]byte) []byte {
	for i, v := range values {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, v...)
	}
	return buf
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
