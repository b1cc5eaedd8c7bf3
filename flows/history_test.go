package flows

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClipText(t *testing.T) {
	if got := clipText("short"); got != "short" {
		t.Errorf("clipText(short) = %q", got)
	}
	long := strings.Repeat("é", StepTextMaxBytes)
	got := clipText(long)
	if len(got) > StepTextMaxBytes || !utf8.ValidString(got) || !strings.HasSuffix(got, stepTextMarker) {
		t.Errorf("clipText(long): %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
}
