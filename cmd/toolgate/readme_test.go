package main

import (
	"maps"
	"os"
	"strings"
	"testing"
)

// TestREADMEListsEverySetting: the README's configuration table has a row
// for every setting, with its flag.
func TestREADMEListsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, group := range [][]setting{serveSettings, storeSettings, secretSettings, logSettings, clientSettings} {
		for _, s := range group {
			if row := "| `" + s.env + "` | `-" + s.flag + "` |"; !strings.Contains(string(readme), row) {
				t.Errorf("README's configuration table lacks %q", row)
			}
		}
	}
}

// TestREADMEFlowFile: the flow file the README shows applies and
// publishes beside the walk-through's agent and tools.
func TestREADMEFlowFile(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, found := strings.Cut(string(readme), "- **Flows** also name their agent")
	_, block, found2 := strings.Cut(after, "  ```yaml\n")
	block, _, found3 := strings.Cut(block, "  ```\n")
	if !found || !found2 || !found3 {
		t.Fatal("the README has no flow file under Workspaces as files")
	}
	var flow strings.Builder
	for line := range strings.Lines(block) {
		flow.WriteString(strings.TrimPrefix(line, "  "))
	}
	g := newTestGateway(t)
	files := maps.Clone(workspaceFixture)
	files["flows/readme.yaml"] = flow.String()
	dir := writeFiles(t, t.TempDir(), files)
	out, _, err := g.run(g.env(fixtureEnv...), "apply", "-f", dir, "-publish")
	if err != nil || !strings.Contains(out, "published flow Order status (agent support-bot): version 1\n") {
		t.Errorf("applying the README's flow: %v\n%s", err, out)
	}
}
