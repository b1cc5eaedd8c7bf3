package schema

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Strict mode's documented limits (OpenAI's Structured Outputs guide): in
// all, at most 5,000 object properties, 10 levels of nested objects, 1,000
// enum values and 120,000 characters of property names, definition names,
// enum values and const values; and a string enum of more than 250 values may
// have at most 15,000 characters of values.
const (
	strictMaxProperties     = 5000
	strictMaxDepth          = 10
	strictMaxEnumValues     = 1000
	strictMaxStringLength   = 120000
	strictLargeEnumValues   = 250
	strictMaxLargeEnumChars = 15000
)

// openAILimits checks strict mode's documented limits.
func openAILimits(c *strictChecker) {
	if c.properties > strictMaxProperties {
		c.add(RootPath, fmt.Sprintf("has %d properties in all; strict mode allows at most %d", c.properties, strictMaxProperties))
	}
	if c.deepest > strictMaxDepth {
		c.add(RootPath, fmt.Sprintf("nests objects %d levels deep; strict mode allows at most %d", c.deepest, strictMaxDepth))
	}
	if c.enumValues > strictMaxEnumValues {
		c.add(RootPath, fmt.Sprintf("has %d enum values in all; strict mode allows at most %d", c.enumValues, strictMaxEnumValues))
	}
	if c.stringLen > strictMaxStringLength {
		c.add(RootPath, fmt.Sprintf("has %d characters of property names, definition names, enum values and const values in all; strict mode allows at most %d", c.stringLen, strictMaxStringLength))
	}
	for _, e := range c.stringEnums {
		if e.values > strictLargeEnumValues && e.chars > strictMaxLargeEnumChars {
			c.add(e.path, fmt.Sprintf("has %d string values of %d characters in all; strict mode allows at most %d characters in an enum of more than %d strings", e.values, e.chars, strictMaxLargeEnumChars, strictLargeEnumValues))
		}
	}
}

// StrictModeError lists the ways a schema breaks the rules of a provider's
// strict mode, as found by [ValidateOpenAIStrict] or
// [ValidateAnthropicStrict].
type StrictModeError struct {
	// Target is the strict mode: [TargetOpenAIStrict] or
	// [TargetAnthropicStrict].
	Target string
	// Problems are "path: what is wrong", in the order found.
	Problems []string
}

// Error implements error.
func (e *StrictModeError) Error() string {
	return "not valid for " + e.Target + ": " + strings.Join(e.Problems, "; ")
}

// ValidateOpenAIStrict checks that a schema keeps the rules of OpenAI strict
// mode as [OpenAIStrict] applies them: the root is an object and not an anyOf;
// every object has additionalProperties false and lists all its properties
// in required; every schema has a type (or enum, const, anyOf or $ref); only
// the keywords strict mode supports appear; $ref stands alone and points into
// $defs or at the root; arrays have items; and the limits on properties,
// nesting, enum values and total string length hold. It returns nil or a
// [*StrictModeError].
func ValidateOpenAIStrict(raw json.RawMessage) error {
	return validateStrict(raw, openAIDialect)
}

func validateStrict(raw json.RawMessage, d *strictDialect) error {
	if ce := checkLimits(raw); ce != nil {
		return &StrictModeError{Target: d.target, Problems: []string{ce.Error()}}
	}
	v, err := decodeOrdered(raw)
	if err != nil {
		return &StrictModeError{Target: d.target, Problems: []string{RootPath + ": is not valid JSON: " + err.Error()}}
	}
	problems := checkStrict(v, d)
	if len(problems) == 0 {
		return nil
	}
	e := &StrictModeError{Target: d.target}
	for _, p := range problems {
		e.Problems = append(e.Problems, p.path+": "+p.message)
	}
	return e
}

type strictProblem struct {
	path, message string
}

// strictChecker walks a schema for [ValidateOpenAIStrict] and
// [ValidateAnthropicStrict].
type strictChecker struct {
	d           *strictDialect
	root        *jsonObject
	problems    []strictProblem
	properties  int
	optional    int // properties not listed in required
	unions      int // schemas with anyOf or a list of types
	enumValues  int
	stringLen   int
	stringEnums []stringEnum
	deepest     int
	refDepth    map[string]int // the depth under each reference followed
}

// stringEnum is the size of one enum's string values.
type stringEnum struct {
	path          string
	values, chars int
}

func checkStrict(v any, d *strictDialect) []strictProblem {
	root, ok := v.(*jsonObject)
	if !ok {
		return []strictProblem{{RootPath, "must be a schema object"}}
	}
	c := &strictChecker{d: d, root: root, refDepth: make(map[string]int)}
	if typ, _ := root.str("type"); typ != "object" {
		c.add(RootPath+".type", `must be "object"`)
	}
	if root.has("anyOf") {
		c.add(RootPath+".anyOf", "is not allowed at the root")
	}
	c.walk(root)
	c.deepest = c.depthOf(root, RootPath, []string{"#"})
	d.limits(c)
	return c.problems
}

// walk checks the root schema and each definition, counting as it goes.
func (c *strictChecker) walk(root *jsonObject) {
	c.schema(root, RootPath, true)
	for _, k := range []string{"$defs", "definitions"} {
		defs, ok := root.values[k].(*jsonObject)
		if !ok {
			if root.has(k) {
				c.add(RootPath+"."+k, "must be an object")
			}
			continue
		}
		for _, name := range defs.keys {
			c.stringLen += textLength(name)
			c.schema(defs.values[name], joinPath(RootPath+"."+k, name), false)
		}
	}
}

func (c *strictChecker) add(path, message string) {
	c.problems = append(c.problems, strictProblem{path, message})
}

// schema checks one schema and the schemas inside it, except $defs, which
// checkStrict checks once each.
func (c *strictChecker) schema(v any, path string, isRoot bool) {
	s, ok := v.(*jsonObject)
	if !ok {
		c.add(path, "must be a schema object")
		return
	}
	for _, k := range s.keys {
		if !slices.Contains(c.d.keywords, k) {
			c.add(path+"."+k, "is not supported in strict mode")
		}
		if (k == "$defs" || k == "definitions") && !isRoot {
			c.add(path+"."+k, "is only allowed at the root")
		}
	}
	for _, k := range []string{"description", "title", "pattern"} {
		if v, ok := s.get(k); ok {
			if _, isString := v.(string); !isString {
				c.add(path+"."+k, "must be a string")
			}
		}
	}

	if ref, ok := s.get("$ref"); ok {
		c.ref(ref, path+".$ref")
		if len(s.keys) > 1 {
			c.add(path, "has keywords beside $ref; strict mode takes a reference only on its own")
		}
		return
	}
	var types []string
	if t, ok := s.get("type"); ok {
		var valid bool
		if types, valid = typeNames(t); !valid {
			c.add(path+".type", "must be a type name or a list of distinct type names")
		}
	} else if !s.has("enum") && !s.has("const") && !s.has("anyOf") {
		c.add(path, "has no type (nor enum, const, anyOf or $ref)")
	}
	if list, ok := s.get("anyOf"); ok {
		if !s.only("anyOf", "description", "title") {
			c.add(path, "has keywords beside anyOf other than description and title")
		}
		branches, ok := list.([]any)
		if !ok || len(branches) == 0 {
			c.add(path+".anyOf", "must be a non-empty list of schemas")
		}
		for i, b := range branches {
			c.schema(b, path+".anyOf["+strconv.Itoa(i)+"]", false)
		}
	}
	if v, ok := s.get("enum"); ok {
		values, ok := v.([]any)
		if !ok || len(values) == 0 {
			c.add(path+".enum", "must be a non-empty list")
		}
		c.enumValues += len(values)
		e := stringEnum{path: path + ".enum"}
		for _, value := range values {
			n := valueLength(value)
			c.stringLen += n
			if _, isString := value.(string); isString {
				e.values++
				e.chars += n
			}
			if c.d.primitiveValues && !isPrimitive(value) {
				c.add(path+".enum", "must list only strings, numbers, booleans and null")
			}
		}
		c.stringEnums = append(c.stringEnums, e)
	}
	if v, ok := s.get("const"); ok {
		c.stringLen += valueLength(v)
		if c.d.primitiveValues && !isPrimitive(v) {
			c.add(path+".const", "must be a string, a number, a boolean or null")
		}
	}
	if p, ok := s.str("pattern"); ok && !c.d.keepPattern(p) {
		c.add(path+".pattern", "uses a backreference, lookaround or word boundary, which strict mode cannot sample")
	}
	if s.has("anyOf") || len(types) > 1 {
		c.unions++
	}
	if f, ok := s.get("format"); ok {
		if str, _ := f.(string); !slices.Contains(c.d.formats, str) {
			c.add(path+".format", fmt.Sprintf("must be one of %s", strings.Join(c.d.formats, ", ")))
		}
	}
	for _, k := range []string{"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"} {
		if v, ok := s.get(k); ok {
			if _, isNumber := v.(json.Number); !isNumber {
				c.add(path+"."+k, "must be a number")
			}
		}
	}
	for _, k := range []string{"minItems", "maxItems"} {
		if v, ok := s.get(k); ok {
			count, isCount := nonNegativeInt(v)
			if !isCount {
				c.add(path+"."+k, "must be a non-negative integer")
			}
			if k == "minItems" && c.d.maxMinItems >= 0 && count > c.d.maxMinItems {
				c.add(path+"."+k, fmt.Sprintf("must be at most %d", c.d.maxMinItems))
			}
		}
	}

	isObject := slices.Contains(types, "object")
	props, hasProps := s.values["properties"].(*jsonObject)
	if s.has("properties") && !hasProps {
		c.add(path+".properties", "must be an object")
	}
	if (s.has("properties") || s.has("required") || s.has("additionalProperties")) && !isObject {
		c.add(path, `has object keywords but its type does not include "object"`)
	}
	if isObject {
		if !hasProps {
			c.add(path+".properties", "is missing; strict mode needs the properties of every object")
		}
		if !isClosedObjectSchema(s.values["additionalProperties"]) {
			c.add(path+".additionalProperties", "must be false")
		}
		required, ok := stringList(s.values["required"])
		if !ok && (c.d.allRequired || s.has("required")) {
			c.add(path+".required", "must list every property")
		}
		if hasProps {
			for _, name := range props.keys {
				c.properties++
				c.stringLen += textLength(name)
				if !slices.Contains(required, name) {
					c.optional++
					if ok && c.d.allRequired {
						c.add(joinPath(path+".properties", name), "is not listed in required; strict mode needs every property required (make it nullable to let it be left out)")
					}
				}
				c.schema(props.values[name], joinPath(path+".properties", name), false)
			}
			for _, name := range required {
				if !props.has(name) {
					c.add(path+".required", "lists "+name+", which is not a property")
				}
			}
		}
	}
	if slices.Contains(types, "array") {
		if items, ok := s.get("items"); ok {
			c.schema(items, path+".items", false)
		} else {
			c.add(path+".items", "is missing; strict mode needs the items schema of every array")
		}
	} else if s.has("items") || s.has("minItems") || s.has("maxItems") {
		c.add(path, `has array keywords but its type does not include "array"`)
	}
}

// textLength counts the characters of a name or a string value, as the
// limits on strict mode's schemas do.
func textLength(s string) int { return utf8.RuneCountInString(s) }

// valueLength counts the characters of an enum or const value: a string's
// characters, or the JSON text of any other value.
func valueLength(v any) int {
	if s, ok := v.(string); ok {
		return textLength(s)
	}
	return textLength(valueText(v))
}

// ref checks a reference: the root or a member of $defs or definitions.
func (c *strictChecker) ref(v any, path string) {
	ref, _ := v.(string)
	if ref == "#" {
		return
	}
	tokens := pointerTokens(strings.TrimPrefix(ref, "#"))
	if strings.HasPrefix(ref, "#/") && len(tokens) == 2 && (tokens[0] == "$defs" || tokens[0] == "definitions") {
		if defs, ok := c.root.values[tokens[0]].(*jsonObject); ok && defs.has(tokens[1]) {
			return
		}
		c.add(path, "refers to "+strconv.Quote(ref)+", which does not exist")
		return
	}
	c.add(path, "must be # or #/$defs/name")
}

// depthOf returns how many levels of objects nest in a schema, following
// references; a reference back into one being followed (a recursive schema)
// adds nothing, and is a problem where the dialect takes no recursion. Each
// reference's depth is computed once, so a schema that refers to the same
// definition many times is walked in linear time. path is where v is.
func (c *strictChecker) depthOf(v any, path string, following []string) int {
	s, ok := v.(*jsonObject)
	if !ok {
		return 0
	}
	if ref, ok := s.str("$ref"); ok {
		if slices.Contains(following, ref) {
			if !c.d.recursive {
				c.add(path+".$ref", "refers to "+strconv.Quote(ref)+" from inside it; strict mode cannot describe recursive schemas")
			}
			return 0
		}
		if d, ok := c.refDepth[ref]; ok {
			return d
		}
		target, err := resolveLocalRef(c.root, ref, RootPath)
		if err != nil {
			return 0
		}
		targetPath := RootPath
		if tokens := pointerTokens(strings.TrimPrefix(ref, "#")); len(tokens) == 2 {
			targetPath = joinPath(RootPath+"."+tokens[0], tokens[1])
		}
		d := c.depthOf(target, targetPath, append(following, ref))
		c.refDepth[ref] = d
		return d
	}
	inner := 0
	if props, ok := s.values["properties"].(*jsonObject); ok {
		for _, name := range props.keys {
			inner = max(inner, c.depthOf(props.values[name], joinPath(path+".properties", name), following))
		}
	}
	inner = max(inner, c.depthOf(s.values["items"], path+".items", following))
	if branches, ok := s.values["anyOf"].([]any); ok {
		for i, b := range branches {
			inner = max(inner, c.depthOf(b, path+".anyOf["+strconv.Itoa(i)+"]", following))
		}
	}
	if types, _ := typeNames(s.values["type"]); slices.Contains(types, "object") {
		return inner + 1
	}
	return inner
}
