package tools

import "github.com/invopop/jsonschema"

// JSONSchemaExtend implements jsonschema's extender.
func (ConfirmConfig) JSONSchemaExtend(s *jsonschema.Schema) {
	property(s, "message").MaxLength = uintPtr(ConfirmMessageMaxBytes)
	ttl := property(s, "ttl_s")
	ttl.Minimum, ttl.Maximum, ttl.Default = number(1), number(ConfirmTTLSMax), ConfirmTTLSDefault
}

// JSONSchemaExtend implements jsonschema's extender.
func (ApprovalConfig) JSONSchemaExtend(s *jsonschema.Schema) {
	timeout := property(s, "timeout_s")
	timeout.Minimum, timeout.Maximum, timeout.Default = number(ApprovalTimeoutSMin), number(ApprovalTimeoutSMax), ApprovalTimeoutSDefault
	property(s, "message").MaxLength = uintPtr(ApprovalMessageMaxBytes)
}

// JSONSchemaExtend implements jsonschema's extender.
func (Limit) JSONSchemaExtend(s *jsonschema.Schema) {
	property(s, "key").Enum = strings2any(LimitKeys)
	property(s, "rate").Pattern = `^[1-9][0-9]*/[smh]$`
	burst := property(s, "burst")
	burst.Minimum, burst.Maximum = number(1), number(BurstMax)
	conc := property(s, "concurrency")
	conc.Minimum, conc.Maximum = number(1), number(ConcurrencyMax)
}

// JSONSchemaExtend implements jsonschema's extender.
func (CacheConfig) JSONSchemaExtend(s *jsonschema.Schema) {
	ttl := property(s, "ttl_s")
	ttl.Minimum, ttl.Maximum = number(1), number(CacheTTLSMax)
	scope := property(s, "scope")
	scope.Enum, scope.Default = []any{CacheScopeWorkspace, CacheScopeUser}, CacheScopeWorkspace
}
