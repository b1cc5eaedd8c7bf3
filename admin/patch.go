package admin

import (
	"encoding/json"
	"fmt"

	"github.com/toolgate/toolgate/problem"
)

// mergePatch applies an RFC 7386 JSON merge patch to target (nil target is
// an empty document).
func mergePatch(target, patch []byte) ([]byte, error) {
	var t, p any
	if len(target) > 0 {
		if err := json.Unmarshal(target, &t); err != nil {
			return nil, fmt.Errorf("decoding merge-patch target: %w", err)
		}
	}
	if err := json.Unmarshal(patch, &p); err != nil {
		return nil, problem.FromJSON(err)
	}
	return json.Marshal(mergeValue(t, p))
}

func mergeValue(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(tm, k)
			continue
		}
		tm[k] = mergeValue(tm[k], v)
	}
	return tm
}

// splitPatch decodes a merge patch's top level, so write-only members
// (secrets) can be taken out before the rest is merged into the public
// document.
func splitPatch(patch []byte) (map[string]json.RawMessage, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(patch, &doc); err != nil || doc == nil {
		return nil, problem.BadRequestf("", "the patch must be a JSON object")
	}
	return doc, nil
}
