package prompts

import (
	"strings"
	"testing"
)

func TestToolPolicy(t *testing.T) {
	tools := []PolicyTool{
		{Name: "get_order", Description: "Look up an order's status and ETA once the caller gave the order id."},
		{Name: "create_callback_lead", Description: "Create a callback request when the caller asks to be called back\nand has given their name and phone number."},
		{Name: "ping"},
	}
	tests := []struct {
		name string
		data ToolPolicyData
	}{
		{"instructions_and_tools", ToolPolicyData{Instructions: "You are the support assistant of Acme Shop.\nBe brief and friendly.\n", Tools: tools}},
		{"tools_only", ToolPolicyData{Tools: tools[:1]}},
		{"no_tools", ToolPolicyData{Instructions: "You are the support assistant of Acme Shop."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, "tool_policy_"+tt.name, ToolPolicy(tt.data)+"\n")
		})
	}
}

func TestToolPolicyRules(t *testing.T) {
	got := ToolPolicy(ToolPolicyData{Tools: []PolicyTool{{Name: "get_order", Description: "Look up an order."}}})
	for _, want := range []string{"only when the conditions in its description hold", "ask the user for it", "Never invent", "- get_order: Look up an order."} {
		if !strings.Contains(got, want) {
			t.Errorf("ToolPolicy does not say %q:\n%s", want, got)
		}
	}
}

func TestUnknownTool(t *testing.T) {
	golden(t, "unknown_tool", UnknownTool("delete_everything")+"\n")
}
