package voice

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

// MaxSecretBytes bounds one adapter secret.
const MaxSecretBytes = 1024

// Settings is the plaintext of store.Agent.Adapters: platform → setting →
// value. A platform is present only with at least one setting. Every
// setting is a secret: write-only, sealed at rest.
type Settings map[string]map[string]string

// Get returns a platform's setting ("" when unset).
func (s Settings) Get(platform, field string) string {
	return s[platform][field]
}

// settingsAAD binds an agent's sealed adapter settings to its row.
func settingsAAD(workspaceID, agentID string) []byte {
	return []byte("agent-adapters:" + workspaceID + "/" + agentID)
}

// OpenSettings opens an agent's adapter settings (empty when none).
func OpenSettings(box *secrets.Box, a *store.Agent) (Settings, error) {
	plain, err := box.Open(a.Adapters, settingsAAD(a.WorkspaceID, a.ID))
	if err != nil {
		return nil, fmt.Errorf("opening adapters of agent %s: %w", a.ID, err)
	}
	settings := Settings{}
	if len(plain) == 0 {
		return settings, nil
	}
	if err := json.Unmarshal(plain, &settings); err != nil {
		return nil, fmt.Errorf("decoding adapters of agent %s: %w", a.ID, err)
	}
	return settings, nil
}

// SealSettings seals settings into a.Adapters (nil when there are none).
func SealSettings(box *secrets.Box, a *store.Agent, settings Settings) error {
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
	a.Adapters = box.Seal(plain, settingsAAD(a.WorkspaceID, a.ID))
	return nil
}

// ApplyPatch merges an "adapters" value of the admin API into current, with
// JSON merge patch semantics: a string sets a secret, null deletes it, a
// platform set to null loses all its settings, and adapters set to null
// removes every platform. It returns the field errors.
func ApplyPatch(current Settings, raw json.RawMessage) []tools.FieldError {
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
	for _, name := range slices.Sorted(maps.Keys(platforms)) {
		path := "adapters." + name
		p := Lookup(name)
		if p == nil {
			add(path, "unknown platform: use "+strings.Join(Names(), ", "))
			continue
		}
		allowed := p.Settings()
		value := bytes.TrimSpace(platforms[name])
		if string(value) == "null" {
			delete(current, name)
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
				add(fieldPath, fmt.Sprintf("unknown setting: %s takes %s", name, strings.Join(allowed, ", ")))
				continue
			}
			v := fields[field]
			if v == nil {
				delete(current[name], field)
				continue
			}
			if *v == "" || len(*v) > MaxSecretBytes {
				add(fieldPath, fmt.Sprintf("must be 1 to %d bytes (null removes it)", MaxSecretBytes))
				continue
			}
			if current[name] == nil {
				current[name] = map[string]string{}
			}
			current[name][field] = *v
		}
	}
	return errs
}

// View is what the admin API shows of the settings: platform → setting →
// whether it is set, never its value.
func View(settings Settings) map[string]map[string]bool {
	v := make(map[string]map[string]bool, len(platforms))
	for _, p := range platforms {
		fields := map[string]bool{}
		for _, field := range p.Settings() {
			fields[field] = settings.Get(p.Name(), field) != ""
		}
		v[p.Name()] = fields
	}
	return v
}

// Configured reports whether any of a platform's settings is set.
func (s Settings) Configured(platform string) bool {
	return len(s[platform]) > 0
}
