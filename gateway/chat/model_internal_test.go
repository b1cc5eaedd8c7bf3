package chat

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	openai "github.com/sashabaranov/go-openai"
)

func TestToolCallAssembler(t *testing.T) {
	idx := func(i int) *int { return &i }
	delta := func(index *int, id, name, args string) openai.ToolCall {
		return openai.ToolCall{Index: index, ID: id, Function: openai.FunctionCall{Name: name, Arguments: args}}
	}
	call := func(id, name, args string) openai.ToolCall {
		return openai.ToolCall{ID: id, Type: openai.ToolTypeFunction, Function: openai.FunctionCall{Name: name, Arguments: args}}
	}
	tests := []struct {
		name   string
		deltas [][]openai.ToolCall
		want   []openai.ToolCall
	}{
		{"indexed, interleaved", [][]openai.ToolCall{
			{delta(idx(0), "a", "get_order", ""), delta(idx(1), "b", "broken", "")},
			{delta(idx(1), "", "", `{}`), delta(idx(0), "", "", `{"order_id":`)},
			{delta(idx(0), "", "", `"A-17"}`)},
		}, []openai.ToolCall{call("a", "get_order", `{"order_id":"A-17"}`), call("b", "broken", `{}`)}},
		{"without index: an id starts a call", [][]openai.ToolCall{
			{delta(nil, "a", "get_order", `{"order_id"`)}, {delta(nil, "", "", `:"A-17"}`)},
			{delta(nil, "b", "broken", `{}`)},
		}, []openai.ToolCall{call("a", "get_order", `{"order_id":"A-17"}`), call("b", "broken", `{}`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a toolCallAssembler
			for _, d := range tt.deltas {
				a.add(d)
			}
			if diff := cmp.Diff(tt.want, a.list); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("bounded", func(t *testing.T) {
		var a toolCallAssembler
		for i := range 10 * maxToolCallsPerStep {
			a.add([]openai.ToolCall{delta(idx(i), fmt.Sprint(i), "f", "{}")})
		}
		if len(a.list) > maxToolCallsPerStep+1 || len(a.index) > maxToolCallsPerStep+1 {
			t.Errorf("%d calls, %d indexes kept; want at most %d", len(a.list), len(a.index), maxToolCallsPerStep+1)
		}
	})
}
