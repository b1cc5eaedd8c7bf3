package schema

import (
	"slices"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// StripOptionalNulls removes from decoded arguments the null members that a
// model in OpenAI strict mode sends for optional properties it leaves out
// (see [OpenAIStrict], which turns each optional property into a required,
// nullable one). A member is removed when its value is null, the property is
// declared and optional in this (the original) schema, and the property's
// schema does not itself accept null; so the arguments then validate, and
// render, as if the property had been left out.
//
// It descends into nested objects and arrays wherever the schema says which
// subschema applies: properties, items and prefixItems, through $ref and
// allOf. It does not guess among the branches of anyOf, oneOf or if/then/else.
// v is the output of [jsonschema.UnmarshalJSON] or json.Unmarshal; its maps
// are modified in place, and v is returned.
func (s *Schema) StripOptionalNulls(v any) any {
	stripNulls(s.compiled, v)
	return v
}

// stripNulls strips v's optional nulls under schema sch.
func stripNulls(sch *jsonschema.Schema, v any) {
	if sch == nil {
		return
	}
	switch v := v.(type) {
	case map[string]any:
		views := appliedSchemas(sch)
		for name, member := range v {
			var props []*jsonschema.Schema
			required := false
			for _, view := range views {
				if p := view.Properties[name]; p != nil {
					props = append(props, p)
				}
				required = required || slices.Contains(view.Required, name)
			}
			if len(props) == 0 {
				continue
			}
			if member == nil {
				if !required && !allAcceptNull(props) {
					delete(v, name)
				}
				continue
			}
			for _, p := range props {
				stripNulls(p, member)
			}
		}
	case []any:
		for _, view := range appliedSchemas(sch) {
			for i, item := range v {
				if i < len(view.PrefixItems) {
					stripNulls(view.PrefixItems[i], item)
					continue
				}
				switch items := view.Items.(type) {
				case *jsonschema.Schema:
					stripNulls(items, item)
				case []*jsonschema.Schema:
					if i < len(items) {
						stripNulls(items[i], item)
					}
				}
				stripNulls(view.Items2020, item)
			}
		}
	}
}

// appliedSchemas returns sch and every schema that certainly applies to the
// same value with it: the targets of $ref and the branches of allOf,
// transitively, each once.
func appliedSchemas(sch *jsonschema.Schema) []*jsonschema.Schema {
	out := []*jsonschema.Schema{sch}
	for i := 0; i < len(out); i++ {
		cur := out[i]
		next := slices.Clone(cur.AllOf)
		if cur.Ref != nil {
			next = append(next, cur.Ref)
		}
		for _, n := range next {
			if n != nil && !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// allAcceptNull reports whether null is valid under every schema the
// property has (through allOf, several may declare it). A null that one of
// them refuses is invalid, so it can only mean "left out".
func allAcceptNull(props []*jsonschema.Schema) bool {
	for _, p := range props {
		if p.Validate(nil) != nil {
			return false
		}
	}
	return true
}
