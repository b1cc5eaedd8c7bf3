package prompts

import "testing"

func TestToolUnavailable(t *testing.T) {
	golden(t, "voice_tool_unavailable", ToolUnavailable("book_table")+"\n")
	if got := ToolUnavailable("x\ny"); got != ToolUnavailable("x y") {
		t.Errorf("ToolUnavailable(%q) = %q, want the name on one line", "x\ny", got)
	}
}

func TestSingleLine(t *testing.T) {
	if got, want := SingleLine("a\r\nb\u2028 c"), "a b c"; got != want {
		t.Errorf("SingleLine = %q, want %q", got, want)
	}
}
