package prompts

// ToolUnavailable returns what a voice assistant is told when the tool it
// called cannot be run at all (the agent does not have it, or toolgate
// itself failed): a sentence it can turn into speech, never an error code.
func ToolUnavailable(tool string) string {
	return render("voice_tool_unavailable.tmpl", struct{ Tool string }{oneLine(tool, 0)})
}

// SingleLine makes text safe to hand a voice platform that requires
// single-line strings (Vapi's tool results): valid UTF-8, no control
// characters or line breaks, runs of space collapsed.
func SingleLine(s string) string { return oneLine(s, 0) }
