package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// Voice platforms an agent can be plugged into, as named in the admin API,
// the adapter URLs and the export endpoint.
const (
	platformVapi       = "vapi"
	platformRetell     = "retell"
	platformElevenLabs = "elevenlabs"
)

// adapterFields lists, per platform, the secret settings an admin sets.
// Every setting is a secret: write-only, sealed at rest.
var adapterFields = map[string][]string{
	platformVapi:       {"secret"},
	platformRetell:     {"api_key"},
	platformElevenLabs: {"secret"},
}

// adapterPlatforms is the platforms in a stable order.
var adapterPlatforms = []string{platformVapi, platformRetell, platformElevenLabs}

// maxAdapterSecretBytes bounds one adapter secret.
const maxAdapterSecretBytes = 1024

// adapterSettings is the plaintext of store.Agent.Adapters: platform →
// setting → value. A platform is present only with at least one setting.
type adapterSettings map[string]map[string]string

// get returns a platform's setting ("" when unset).
func (a adapterSettings) get(platform, field string) string {
	return a[platform][field]
}

// adaptersAAD binds an agent's sealed adapter settings to its row.
func adaptersAAD(workspaceID, agentID string) []byte {
	return []byte("agent-adapters:" + workspaceID + "/" + agentID)
}

// openAdapters opens an agent's adapter settings (empty when none).
func openAdapters(box *secrets.Box, a *store.Agent) (adapterSettings, error) {
	plain, err := box.Open(a.Adapters, adaptersAAD(a.WorkspaceID, a.ID))
	if err != nil {
		return nil, fmt.Errorf("opening adapters of agent %s: %w", a.ID, err)
	}
	settings := adapterSettings{}
	if len(plain) == 0 {
		return settings, nil
	}
	if err := json.Unmarshal(plain, &settings); err != nil {
		return nil, fmt.Errorf("decoding adapters of agent %s: %w", a.ID, err)
	}
	return settings, nil
}

// sealAdapters seals settings into a.Adapters (nil when there are none).
func sealAdapters(box *secrets.Box, a *store.Agent, settings adapterSettings) error {
	for platform, fields := range settings {
		if len(fields) == 0 {
			delete(settings, platform)
		}
	}
	if len(settings) == 0 {
		a.Adapters = nil
		return nil
	}
	plain, err := json.Marshal(settings)
	if err != nil {
		return err
	}
	a.Adapters = box.Seal(plain, adaptersAAD(a.WorkspaceID, a.ID))
	return nil
}

// applyAdaptersPatch merges an "adapters" value of the admin API into
// current, with JSON merge patch semantics: a string sets a secret, null
// deletes it, a platform set to null loses all its settings, and adapters
// set to null removes every platform. It returns the field errors.
func applyAdaptersPatch(current adapterSettings, raw json.RawMessage) []tools.FieldError {
	var errs []tools.FieldError
	add := func(path, msg string) { errs = append(errs, tools.FieldError{Path: path, Message: msg}) }
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	if string(raw) == "null" {
		clear(current)
		return nil
	}
	var platforms map[string]json.RawMessage
	if err := json.Unmarshal(raw, &platforms); err != nil {
		add("adapters", `must be an object such as {"vapi": {"secret": "..."}}`)
		return errs
	}
	for _, platform := range slices.Sorted(maps.Keys(platforms)) {
		path := "adapters." + platform
		allowed, ok := adapterFields[platform]
		if !ok {
			add(path, "unknown platform: use vapi, retell or elevenlabs")
			continue
		}
		value := bytes.TrimSpace(platforms[platform])
		if string(value) == "null" {
			delete(current, platform)
			continue
		}
		var fields map[string]*string
		if err := json.Unmarshal(value, &fields); err != nil {
			add(path, "must be an object of strings (or null to remove the platform)")
			continue
		}
		for _, field := range slices.Sorted(maps.Keys(fields)) {
			fieldPath := path + "." + field
			if !slices.Contains(allowed, field) {
				add(fieldPath, fmt.Sprintf("unknown setting: %s takes %s", platform, strings.Join(allowed, ", ")))
				continue
			}
			v := fields[field]
			if v == nil {
				delete(current[platform], field)
				continue
			}
			if *v == "" || len(*v) > maxAdapterSecretBytes {
				add(fieldPath, fmt.Sprintf("must be 1 to %d bytes (null removes it)", maxAdapterSecretBytes))
				continue
			}
			if current[platform] == nil {
				current[platform] = map[string]string{}
			}
			current[platform][field] = *v
		}
	}
	return errs
}

// adaptersView is what the admin API shows of the settings: whether each
// secret is set, never its value.
func adaptersView(settings adapterSettings) map[string]map[string]secretState {
	v := make(map[string]map[string]secretState, len(adapterPlatforms))
	for _, platform := range adapterPlatforms {
		fields := map[string]secretState{}
		for _, field := range adapterFields[platform] {
			fields[field] = secretState{Set: settings.get(platform, field) != ""}
		}
		v[platform] = fields
	}
	return v
}
