package tools

import (
	"fmt"
	"slices"
	"strings"

	"github.com/toolgate/toolgate/schema"
)

// checkGuardrails validates confirm, approval, limits, cache and
// read_only; sch is the compiled input schema, nil when it failed.
func (v *validator) checkGuardrails(sch *schema.Schema) {
	d := v.def
	if c := d.Confirm; c != nil {
		v.checkConfirm(c, sch)
	}
	if a := d.Approval; a != nil {
		if a.TimeoutS != 0 && (a.TimeoutS < ApprovalTimeoutSMin || a.TimeoutS > ApprovalTimeoutSMax) {
			v.err("approval.timeout_s", "must be from %d to %d seconds", ApprovalTimeoutSMin, ApprovalTimeoutSMax)
		}
		if len(a.Message) > ApprovalMessageMaxBytes {
			v.err("approval.message", "must be at most %d bytes", ApprovalMessageMaxBytes)
		}
		if !a.Required && (a.TimeoutS != 0 || a.Message != "") {
			v.warn("approval.required", "is false, so calls are not approved and the other approval settings do nothing")
		}
	}
	v.errs = append(v.errs, ValidateLimits("limits", d.Limits)...)
	for i, l := range d.Limits {
		if l.Key == LimitKeyConnection && d.Connection == "" {
			v.err(fmt.Sprintf("limits[%d].key", i), "connection needs the tool to use a connection; use tool to count this tool's calls")
		}
	}
	if c := d.Cache; c != nil {
		switch {
		case c.TTLS < 1 || c.TTLS > CacheTTLSMax:
			v.err("cache.ttl_s", "must be from 1 to %d seconds", CacheTTLSMax)
		case d.EffectiveMethod() != "GET" && !d.ReadOnly:
			v.err("cache", "applies only to GET tools; a %s changes something upstream, so mark the tool read_only if it does not", d.EffectiveMethod())
		}
		if c.Scope != "" && c.Scope != CacheScopeWorkspace && c.Scope != CacheScopeUser {
			v.err("cache.scope", `must be "workspace" (one result for every caller) or "user" (one per caller's user_id)`)
		}
		if d.Confirm != nil || d.NeedsApproval() {
			v.warn("cache", "a cached result is answered without asking for confirmation or approval again")
		}
		if d.Background {
			v.warn("cache", "background calls are not answered from the cache when they are queued, only when they run")
		}
	}
}

// checkConfirm validates a confirm message: it may name the arguments of
// the schema and the caller context, nothing secret.
func (v *validator) checkConfirm(c *ConfirmConfig, sch *schema.Schema) {
	switch {
	case strings.TrimSpace(c.Message) == "":
		v.err("confirm.message", "is required: what the model reads back to the caller, e.g. \"I'll book a callback to {{args.phone_number}}. Shall I go ahead?\"")
	case len(c.Message) > ConfirmMessageMaxBytes:
		v.err("confirm.message", "must be at most %d bytes", ConfirmMessageMaxBytes)
	}
	if c.TTLS != 0 && (c.TTLS < 10 || c.TTLS > ConfirmTTLSMax) {
		v.err("confirm.ttl_s", "must be from 10 to %d seconds", ConfirmTTLSMax)
	}
	t, err := ParseTemplate(c.Message)
	if err != nil {
		v.err("confirm.message", "%s", err.Error())
		return
	}
	for _, ph := range t.Placeholders() {
		switch ph.Root {
		case RootArgs:
			if sch != nil && !slices.Contains(sch.Properties(), ph.Path[0].Key) {
				v.err("confirm.message", "%s names no argument of the input schema", ph.String())
			}
		case RootContext:
		default:
			v.err("confirm.message", "%s cannot be read back to a caller: use {{args.*}} or {{context.*}}", ph.String())
		}
	}
	if sch != nil && slices.Contains(sch.Properties(), ConfirmationTokenArgument) {
		v.err("input_schema.properties."+ConfirmationTokenArgument, "is the gateway's own argument on a tool with a confirm; rename the property")
	}
}

// ValidateLimits returns the problems of a tool's or a connection's
// limits, with paths under prefix ("limits").
func ValidateLimits(prefix string, limits []Limit) []FieldError {
	var errs []FieldError
	add := func(path, format string, args ...any) {
		errs = append(errs, FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	if len(limits) > LimitsMax {
		add(prefix, "at most %d limits", LimitsMax)
	}
	for i, l := range limits {
		at := fmt.Sprintf("%s[%d]", prefix, i)
		if !slices.Contains(LimitKeys, l.Key) {
			add(at+".key", "must be one of %s", strings.Join(LimitKeys, ", "))
		}
		switch {
		case l.Rate == "" && l.Concurrency == 0:
			add(at, `needs a rate ("60/m") or a concurrency`)
		case l.Rate != "" && l.Concurrency != 0:
			add(at, "give a rate or a concurrency, not both: make them two limits")
		case l.Rate != "":
			if _, err := ParseRate(l.Rate); err != nil {
				add(at+".rate", "%s", err.Error())
			}
			if l.Burst < 0 || l.Burst > BurstMax {
				add(at+".burst", "must be from 1 to %d (defaults to the rate's N)", BurstMax)
			}
		default:
			if l.Concurrency < 1 || l.Concurrency > ConcurrencyMax {
				add(at+".concurrency", "must be from 1 to %d", ConcurrencyMax)
			}
			if l.Burst != 0 {
				add(at+".burst", "applies only to a rate")
			}
		}
	}
	return errs
}
