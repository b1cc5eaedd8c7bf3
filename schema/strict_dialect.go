package schema

import "strings"

// strictDialect is the subset of JSON Schema one provider's strict mode
// accepts: OpenAI's Structured Outputs or Anthropic's strict tool use. Both
// sample the model's arguments from a grammar built from the schema, so both
// need closed objects and take only some keywords; they differ in the
// details below.
type strictDialect struct {
	target string
	// allRequired: every property must be listed in required, so an
	// optional one is made required and nullable.
	allRequired bool
	// keywords are the keywords a converted schema may use.
	keywords []string
	// formats are the string formats kept; others are described.
	formats []string
	// numberBounds: minimum, maximum, exclusiveMinimum, exclusiveMaximum and
	// multipleOf are kept.
	numberBounds bool
	// maxItems: maxItems is kept.
	maxItems bool
	// maxMinItems is the largest minItems kept, or -1 for any; a larger one
	// is lowered to it and described.
	maxMinItems int
	// primitiveValues: enum and const take only strings, numbers, booleans
	// and null.
	primitiveValues bool
	// recursive: a schema may refer to itself.
	recursive bool
	// keepPattern reports whether a pattern can be kept.
	keepPattern func(pattern string) bool
	// limits checks the totals of a converted schema.
	limits func(c *strictChecker)
}

// openAIDialect is OpenAI's Structured Outputs, for functions declared with
// "strict": true.
var openAIDialect = &strictDialect{
	target:      TargetOpenAIStrict,
	allRequired: true,
	keywords: []string{
		"type", "description", "title",
		"properties", "required", "additionalProperties",
		"items", "minItems", "maxItems",
		"enum", "const", "anyOf", "$ref", "$defs", "definitions",
		"pattern", "format",
		"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
	},
	formats:      []string{"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"},
	numberBounds: true,
	maxItems:     true,
	maxMinItems:  -1,
	recursive:    true,
	keepPattern:  func(string) bool { return true },
	limits:       openAILimits,
}

// anthropicDialect is Anthropic's strict tool use ("strict": true on a tool
// of the Messages API), as its structured outputs guide describes the
// accepted JSON Schema and as @anthropic-ai/sdk's transformJSONSchema
// rewrites schemas for it: objects closed with additionalProperties false,
// required as declared (optional properties stay optional), enum and const
// of primitive values only, anyOf, local $ref into $defs (not recursive),
// the string formats below, minItems of 0 or 1, and patterns without
// backreferences, lookaround or word boundaries. Numeric bounds, string
// lengths, maxItems and the rest are described instead.
var anthropicDialect = &strictDialect{
	target: TargetAnthropicStrict,
	keywords: []string{
		"type", "description", "title",
		"properties", "required", "additionalProperties",
		"items", "minItems",
		"enum", "const", "anyOf", "$ref", "$defs", "definitions",
		"pattern", "format",
	},
	formats:         []string{"date-time", "time", "date", "duration", "email", "hostname", "uri", "ipv4", "ipv6", "uuid"},
	maxMinItems:     1,
	primitiveValues: true,
	keepPattern:     simplePattern,
	limits:          anthropicLimits,
}

// simplePattern reports whether a pattern avoids what Anthropic's grammar
// cannot sample: backreferences, lookaround and word boundaries.
func simplePattern(p string) bool {
	if strings.Contains(p, "(?=") || strings.Contains(p, "(?!") || strings.Contains(p, "(?<=") || strings.Contains(p, "(?<!") {
		return false
	}
	for i := 0; i < len(p)-1; i++ {
		if p[i] != '\\' {
			continue
		}
		switch c := p[i+1]; {
		case c == 'b' || c == 'B' || c == 'k' || ('1' <= c && c <= '9'):
			return false
		}
		i++ // skip the escaped character
	}
	return true
}

// isPrimitive reports whether a decoded value is a string, number, boolean
// or null.
func isPrimitive(v any) bool {
	switch v.(type) {
	case *jsonObject, []any:
		return false
	}
	return true
}

func notPrimitive(v any) bool { return !isPrimitive(v) }
