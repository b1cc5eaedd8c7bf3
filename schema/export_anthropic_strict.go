package schema

import (
	"encoding/json"
	"fmt"
)

// Limits Anthropic puts on the strict tools of one Messages API request, in
// all: how many tools may be strict, how many of their properties may be
// optional, and how many of their schemas may offer alternatives (anyOf or a
// list of types). [AnthropicStrict] refuses a schema that alone is over
// them; a caller listing several tools adds up [MeasureAnthropicStrict] and
// offers the tools beyond the budget without strict.
const (
	AnthropicStrictMaxTools    = 20
	AnthropicStrictMaxOptional = 24
	AnthropicStrictMaxUnions   = 16
)

// AnthropicStrict converts a tool's argument schema to the input_schema of
// an Anthropic tool declared with "strict": true, for which the model's
// arguments are sampled from a grammar and always match the schema, but only
// a subset of JSON Schema is accepted.
//
// The conversion:
//
//   - closes every object with additionalProperties false; required stays
//     as declared (optional properties stay optional);
//   - keeps type, properties, required, items, enum and const of strings,
//     numbers, booleans and null, anyOf, $ref into $defs (or definitions),
//     description, title, the formats strict tool use knows (date-time,
//     time, date, duration, email, hostname, uri, ipv4, ipv6, uuid), minItems
//     of 0 or 1, and patterns without backreferences, lookaround or word
//     boundaries;
//   - turns oneOf into anyOf and merges allOf into its parent;
//   - lowers a larger minItems to 1 and removes every other keyword
//     (minimum, maximum, multipleOf, minLength, maxLength, maxItems, other
//     formats, default, ...), saying what it meant in the description.
//
// What cannot be said on a property's description is returned as
// descriptionNote, to be appended to the tool's description.
//
// The conversion fails with a [*NotConvertibleError] where [OpenAIStrict]
// does (an open map, an array without items, a tuple, a value of any type,
// ...), for a recursive schema, and for a schema that alone is over
// [AnthropicStrictMaxOptional] or [AnthropicStrictMaxUnions]. The result
// always passes [ValidateAnthropicStrict].
func AnthropicStrict(raw json.RawMessage) (converted json.RawMessage, descriptionNote string, err error) {
	return convertStrict(raw, anthropicDialect)
}

// ValidateAnthropicStrict checks that a schema keeps the rules of Anthropic
// strict tool use as [AnthropicStrict] applies them: the root is an object;
// every object has additionalProperties false; every schema has a type (or
// enum, const, anyOf or $ref); only the keywords above appear; $ref stands
// alone, points into $defs and is not recursive; arrays have items; and the
// schema alone is within the limits on optional properties and alternatives.
// It returns nil or a [*StrictModeError].
func ValidateAnthropicStrict(raw json.RawMessage) error {
	return validateStrict(raw, anthropicDialect)
}

// AnthropicStrictUsage is what one converted schema uses of the limits on
// all strict tools of a request.
type AnthropicStrictUsage struct {
	// Optional is the number of properties not listed in required.
	Optional int
	// Unions is the number of schemas with anyOf or a list of types.
	Unions int
}

// MeasureAnthropicStrict counts what a schema [AnthropicStrict] returned uses
// of [AnthropicStrictMaxOptional] and [AnthropicStrictMaxUnions].
func MeasureAnthropicStrict(converted json.RawMessage) AnthropicStrictUsage {
	v, err := decodeSchema(converted)
	if err != nil {
		return AnthropicStrictUsage{}
	}
	root, ok := v.(*jsonObject)
	if !ok {
		return AnthropicStrictUsage{}
	}
	c := &strictChecker{d: anthropicDialect, root: root, refDepth: map[string]int{}}
	c.walk(root)
	return AnthropicStrictUsage{Optional: c.optional, Unions: c.unions}
}

// anthropicLimits checks that one schema alone is within the limits on all
// strict tools of a request.
func anthropicLimits(c *strictChecker) {
	if c.optional > AnthropicStrictMaxOptional {
		c.add(RootPath, fmt.Sprintf("has %d optional properties; Anthropic allows at most %d across all strict tools of a request", c.optional, AnthropicStrictMaxOptional))
	}
	if c.unions > AnthropicStrictMaxUnions {
		c.add(RootPath, fmt.Sprintf("has %d schemas with anyOf or a list of types; Anthropic allows at most %d across all strict tools of a request", c.unions, AnthropicStrictMaxUnions))
	}
}
