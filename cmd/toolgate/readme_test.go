package main

import (
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
