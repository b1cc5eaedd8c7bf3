package prompts

import "strings"

// ToolPolicyData describes the agent a chat runner speaks for.
type ToolPolicyData struct {
	// Instructions are the agent's own instructions, placed first as they
	// are written.
	Instructions string
	// Tools are the agent's tools with their execution descriptions, in
	// the order they are offered to the model.
	Tools []PolicyTool
}

// PolicyTool is one tool as the policy lists it.
type PolicyTool struct {
	Name string
	// Description is the execution description: when the tool may be
	// called and what it needs.
	Description string
}

// ToolPolicy returns the system message a chat runner prepends to a
// conversation: the agent's instructions, then the rules for using its tools
// (call a tool only when its description's conditions hold, ask for missing
// values, never invent them) and each tool's execution description, one line
// each.
func ToolPolicy(d ToolPolicyData) string {
	view := ToolPolicyData{Instructions: strings.TrimSpace(d.Instructions), Tools: make([]PolicyTool, len(d.Tools))}
	for i, t := range d.Tools {
		desc := oneLine(t.Description, 0)
		if desc == "" {
			desc = "(no description: call it only when the user asks for exactly this)"
		}
		view.Tools[i] = PolicyTool{Name: oneLine(t.Name, 0), Description: desc}
	}
	return render("tool_policy.tmpl", &view)
}

// UnknownTool returns what to tell the model when it called a tool the agent
// does not have.
func UnknownTool(tool string) string {
	return render("unknown_tool.tmpl", struct{ Tool string }{oneLine(tool, 0)})
}
