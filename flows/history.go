package flows

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// StepTextMaxBytes bounds the text of one history step (a message or an
// input); longer text is cut, ending in stepTextMarker.
const StepTextMaxBytes = 2048

const stepTextMarker = "…[truncated]"

// clipText cuts s to StepTextMaxBytes at a character boundary.
func clipText(s string) string {
	if len(s) <= StepTextMaxBytes {
		return s
	}
	cut := StepTextMaxBytes - len(stepTextMarker)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + stepTextMarker
}

// encodeSteps encodes steps for the store, which appends them to the
// session's history.
func encodeSteps(steps []Step) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, len(steps))
	for i := range steps {
		data, err := json.Marshal(&steps[i])
		if err != nil {
			return nil, fmt.Errorf("encoding a history step: %w", err)
		}
		out[i] = data
	}
	return out, nil
}
