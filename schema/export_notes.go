package schema

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// notes collects what an exported schema can no longer say with keywords, to
// be told to the model in the description instead. Constraints use the same
// words as validation messages, so the model reads one vocabulary before and
// after a call.
type notes struct {
	constraints []string
	hints       []string
}

func (n *notes) constraint(s string) { n.constraints = append(n.constraints, s) }
func (n *notes) hint(s string)       { n.hints = append(n.hints, s) }
func (n *notes) empty() bool         { return len(n.constraints) == 0 && len(n.hints) == 0 }

// text renders the notes on a value: "Constraints: must be at least 3
// characters long; must match the pattern ^[0-9]+$. Defaults to 10."
func (n *notes) text() string { return n.render("Constraints: ") }

// rootText renders the notes on the arguments as a whole, for the tool's
// description: "Arguments: must include phone or email."
func (n *notes) rootText() string { return n.render("Arguments: ") }

func (n *notes) render(label string) string {
	var parts []string
	if len(n.constraints) > 0 {
		parts = append(parts, label+strings.Join(n.constraints, "; ")+".")
	}
	parts = append(parts, n.hints...)
	return strings.Join(parts, " ")
}

// withNotes appends the notes to a description.
func withNotes(description string, n *notes) string {
	return appendNote(description, n.text())
}

// AppendNote appends the description note of a conversion (OpenAIStrict,
// ElevenLabs, Vapi, ...) to a tool's description, as a new sentence.
func AppendNote(description, note string) string { return appendNote(description, note) }

// appendNote appends a note to a description, as a new sentence.
func appendNote(description, note string) string {
	if note == "" {
		return description
	}
	description = strings.TrimSpace(description)
	if description == "" {
		return note
	}
	if !strings.HasSuffix(description, ".") && !strings.HasSuffix(description, "!") && !strings.HasSuffix(description, "?") {
		description += "."
	}
	return description + " " + note
}

// noteDropped words a keyword that neither strict mode nor Gemini accepts. It
// reports false for keywords that are dropped without a word: annotations
// with no meaning for the model ($comment, readOnly) and keywords JSON Schema
// itself ignores (unknown names, then/else without if).
func noteDropped(node *jsonObject, keyword string, v any, n *notes) bool {
	switch keyword {
	case "minLength", "maxLength", "minProperties", "maxProperties", "minContains", "maxContains":
		count, ok := nonNegativeInt(v)
		if !ok {
			return false
		}
		switch keyword {
		case "minLength":
			n.constraint(describe(&kind.MinLength{Want: count}))
		case "maxLength":
			n.constraint(describe(&kind.MaxLength{Want: count}))
		case "minProperties":
			n.constraint(describe(&kind.MinProperties{Want: count}))
		case "maxProperties":
			n.constraint(describe(&kind.MaxProperties{Want: count}))
		case "minContains":
			if node.has("contains") {
				n.constraint("must contain at least " + plural(count, "matching item"))
			}
		case "maxContains":
			if node.has("contains") {
				n.constraint("must contain at most " + plural(count, "matching item"))
			}
		}
	case "pattern":
		if s, ok := v.(string); ok {
			n.constraint("must match the pattern " + s)
		}
	case "format":
		if s, ok := v.(string); ok {
			n.constraint(formatNote(s))
		}
	case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf":
		num, ok := v.(json.Number)
		if !ok {
			return false
		}
		r, ok := ratOf(num)
		if !ok {
			return false
		}
		switch keyword {
		case "minimum":
			n.constraint(describe(&kind.Minimum{Want: r}))
		case "maximum":
			n.constraint(describe(&kind.Maximum{Want: r}))
		case "exclusiveMinimum":
			n.constraint(describe(&kind.ExclusiveMinimum{Want: r}))
		case "exclusiveMaximum":
			n.constraint(describe(&kind.ExclusiveMaximum{Want: r}))
		case "multipleOf":
			n.constraint(describe(&kind.MultipleOf{Want: r}))
		}
	case "enum":
		values, ok := v.([]any)
		if !ok {
			return false
		}
		n.constraint(describe(&kind.Enum{Want: values}))
	case "const":
		n.constraint(describe(&kind.Const{Want: v}))
	case "uniqueItems":
		if v == true {
			n.constraint("must not repeat items")
		}
	case "contains":
		if !node.has("minContains") {
			n.constraint("must contain at least one item matching " + valueText(v))
		}
	case "not":
		n.constraint("must not match " + valueText(v))
	case "if":
		rule := "if it matches " + valueText(v)
		then, hasThen := node.get("then")
		if hasThen {
			rule += ", it must also match " + valueText(then)
		}
		if els, ok := node.get("else"); ok {
			if hasThen {
				rule += "; otherwise"
			} else {
				rule = "unless it matches " + valueText(v)
			}
			rule += " it must match " + valueText(els)
		}
		if hasThen || node.has("else") {
			n.constraint(rule)
		}
	case "dependentRequired", "dependencies", "dependentSchemas":
		deps, ok := v.(*jsonObject)
		if !ok {
			return false
		}
		for _, name := range deps.keys {
			if names, ok := stringList(deps.values[name]); ok {
				if len(names) > 0 {
					n.constraint("when " + name + " is given, " + andList(names) + " must be given too")
				}
				continue
			}
			n.constraint("when " + name + " is given, the value must also match " + valueText(deps.values[name]))
		}
	case "propertyNames":
		n.constraint("property names must match " + valueText(v))
	case "contentEncoding":
		if s, ok := v.(string); ok {
			n.constraint("must be " + s + "-encoded")
		}
	case "contentMediaType":
		if s, ok := v.(string); ok {
			n.constraint("must hold " + s + " content")
		}
	case "default":
		n.hint("Defaults to " + valueText(v) + ".")
	case "examples":
		values, ok := v.([]any)
		if !ok || len(values) == 0 {
			return false
		}
		texts := make([]string, len(values))
		for i, ex := range values {
			texts[i] = valueText(ex)
		}
		if len(texts) == 1 {
			n.hint("Example: " + texts[0] + ".")
		} else {
			n.hint("Examples: " + strings.Join(texts, ", ") + ".")
		}
	case "deprecated":
		if v == true {
			n.hint("Deprecated.")
		}
	default:
		return false
	}
	return true
}

// noteRequiredAlternatives words an anyOf or oneOf that only lists required
// properties: "must include phone_number or email".
func noteRequiredAlternatives(lists [][]string, n *notes) {
	alts := make([]string, len(lists))
	for i, names := range lists {
		alts[i] = andList(names)
	}
	n.constraint("must include " + orList(alts))
}

// formatNote words a format assertion for a description: "must be a valid
// email address".
func formatNote(format string) string {
	if format == "regex" {
		return "must be a valid regular expression"
	}
	return formatMessage(&kind.Format{Want: format})
}

// andList joins items as "a", "a and b", "a, b and c".
func andList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// nonNegativeInt reads a count keyword such as minLength.
func nonNegativeInt(v any) (int, bool) {
	num, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(num.String())
	if err != nil {
		f, ferr := num.Float64()
		if ferr != nil || f != float64(int(f)) {
			return 0, false
		}
		n = int(f)
	}
	return n, n >= 0
}
