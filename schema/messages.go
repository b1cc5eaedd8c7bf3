package schema

import (
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// printer renders the library's own messages for the kinds we do not word
// ourselves.
var printer = message.NewPrinter(language.English)

// maxEnumShown bounds how many allowed values a message lists.
const maxEnumShown = 20

// describe words one leaf error for a model: what the value must be, never
// echoing the value itself (it may be personal data).
func describe(k jsonschema.ErrorKind) string {
	switch k := k.(type) {
	case *kind.Type:
		got := article(k.Got)
		if k.Got == "number" && slices.Contains(k.Want, "integer") {
			got = "a number with a fractional part"
		}
		return fmt.Sprintf("must be %s (got %s)", typeList(k.Want), got)
	case *kind.Enum:
		if len(k.Want) == 1 {
			return "must be " + jsonValue(k.Want[0])
		}
		return "must be one of " + valueList(k.Want)
	case *kind.Const:
		return "must be " + jsonValue(k.Want)
	case *kind.Format:
		return formatMessage(k)
	case *kind.MinLength:
		return fmt.Sprintf("must be at least %s long", plural(k.Want, "character"))
	case *kind.MaxLength:
		return fmt.Sprintf("must be at most %s long", plural(k.Want, "character"))
	case *kind.Pattern:
		return fmt.Sprintf("must match the pattern %s", k.Want)
	case *kind.Minimum:
		return "must be at least " + ratString(k.Want)
	case *kind.Maximum:
		return "must be at most " + ratString(k.Want)
	case *kind.ExclusiveMinimum:
		return "must be greater than " + ratString(k.Want)
	case *kind.ExclusiveMaximum:
		return "must be less than " + ratString(k.Want)
	case *kind.MultipleOf:
		return "must be a multiple of " + ratString(k.Want)
	case *kind.MinItems:
		return fmt.Sprintf("must have at least %s", plural(k.Want, "item"))
	case *kind.MaxItems:
		return fmt.Sprintf("must have at most %s", plural(k.Want, "item"))
	case *kind.UniqueItems:
		return fmt.Sprintf("must not repeat items (items %d and %d are equal)", k.Duplicates[0], k.Duplicates[1])
	case *kind.MinProperties:
		return fmt.Sprintf("must have at least %s", plural(k.Want, "property"))
	case *kind.MaxProperties:
		return fmt.Sprintf("must have at most %s", plural(k.Want, "property"))
	case *kind.AdditionalItems:
		return fmt.Sprintf("has %s more than allowed; remove them", plural(k.Count, "item"))
	case *kind.FalseSchema:
		return "is not allowed here; remove it"
	case *kind.Not:
		return "has a value that is not allowed"
	case *kind.Contains:
		return "must contain at least one matching item"
	case *kind.InvalidJsonValue:
		return "is not a JSON value"
	}
	return k.LocalizedString(printer)
}

// formatMessage words a failed format assertion, with an example of a valid
// value where that helps a model produce one.
func formatMessage(k *kind.Format) string {
	switch k.Want {
	case "email", "idn-email":
		return "must be a valid email address"
	case "date":
		return "must be a date in YYYY-MM-DD format, e.g. 2024-05-31"
	case "date-time":
		return "must be a date and time in RFC 3339 format, e.g. 2024-05-31T14:30:00Z"
	case "time":
		return "must be a time in RFC 3339 format, e.g. 14:30:00Z"
	case "uri", "iri":
		return "must be an absolute URI, e.g. https://example.com/page"
	case "uri-reference", "iri-reference":
		return "must be a URI reference"
	case "uuid":
		return "must be a UUID, e.g. 123e4567-e89b-12d3-a456-426614174000"
	case "ipv4":
		return "must be an IPv4 address, e.g. 192.0.2.1"
	case "ipv6":
		return "must be an IPv6 address, e.g. 2001:db8::1"
	case "hostname", "idn-hostname":
		return "must be a valid host name"
	case "duration":
		return "must be an ISO 8601 duration, e.g. P1DT2H"
	case "regex":
		return "must be a valid regular expression: " + k.Err.Error()
	}
	return "must be a valid " + k.Want
}

// article names a JSON type with its article: "an integer", "null".
func article(t string) string {
	switch t {
	case "null":
		return "null"
	case "integer", "object", "array":
		return "an " + t
	}
	return "a " + t
}

// typeList names the wanted types: "a string", "a string or null".
func typeList(want []string) string {
	names := make([]string, 0, len(want))
	for _, t := range want {
		if t != "null" {
			names = append(names, typeName(t))
		}
	}
	if slices.Contains(want, "null") {
		names = append(names, "null")
	}
	return orList(names)
}

// typeName names a wanted type: "a string", "true or false".
func typeName(t string) string {
	if t == "boolean" {
		return "true or false"
	}
	return article(t)
}

// orList joins items as "a", "a or b", "a, b or c".
func orList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// valueList renders allowed values as JSON: "a", "b" or "c".
func valueList(values []any) string {
	shown := values
	if len(shown) > maxEnumShown {
		shown = shown[:maxEnumShown]
	}
	items := make([]string, len(shown))
	for i, v := range shown {
		items[i] = jsonValue(v)
	}
	if len(values) > len(shown) {
		return strings.Join(items, ", ") + fmt.Sprintf(" (and %d more)", len(values)-len(shown))
	}
	return orList(items)
}

// jsonValue renders a schema value as compact JSON.
func jsonValue(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// ratString renders a schema bound as a plain decimal: 18, 0.5.
func ratString(r *big.Rat) string {
	if r == nil {
		return "?"
	}
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// plural renders a count with its noun: "1 character", "3 characters".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "y") {
		return strconv.Itoa(n) + " " + strings.TrimSuffix(noun, "y") + "ies"
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
