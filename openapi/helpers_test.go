package openapi_test

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
)

func jsonUnmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

func jsonMarshal(v any) (json.RawMessage, error) { return json.Marshal(v) }

// hashTag is the tag a cut tool name ends with: 24 bits of FNV-1a of the
// whole name.
func hashTag(name string) string {
	h := fnv.New32a()
	h.Write([]byte(name))
	return fmt.Sprintf("%06x", h.Sum32()&0xffffff)
}
