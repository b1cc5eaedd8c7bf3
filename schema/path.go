package schema

import (
	"strconv"
	"strings"
)

// renderPath turns a JSON pointer split into tokens into the dotted form shown
// to people and models: address.city, items[2].id, ["odd.name"]. The value the
// tokens point into decides whether a token is an array index or a property
// name. prefix, when not empty, is the name of the root (input_schema).
func renderPath(prefix string, root any, tokens []string) string {
	if len(tokens) == 0 {
		return prefix
	}
	var sb strings.Builder
	sb.WriteString(prefix)
	cur := root
	for _, tok := range tokens {
		switch v := cur.(type) {
		case []any:
			i, err := strconv.Atoi(tok)
			if err == nil && i >= 0 && i < len(v) {
				sb.WriteByte('[')
				sb.WriteString(tok)
				sb.WriteByte(']')
				cur = v[i]
				continue
			}
			cur = nil
		case map[string]any:
			cur = v[tok]
		default:
			cur = nil
		}
		writeName(&sb, tok)
	}
	return sb.String()
}

// joinPath appends a property name to a rendered path.
func joinPath(parent, name string) string {
	var sb strings.Builder
	sb.WriteString(parent)
	writeName(&sb, name)
	return sb.String()
}

// writeName appends one property name, with a dot unless it starts the path,
// or in brackets when the name would be ambiguous written with a dot.
func writeName(sb *strings.Builder, name string) {
	if name == "" || strings.ContainsAny(name, ".[]\"' \t\r\n") {
		sb.WriteString("[")
		sb.WriteString(strconv.Quote(name))
		sb.WriteString("]")
		return
	}
	if sb.Len() > 0 {
		sb.WriteByte('.')
	}
	sb.WriteString(name)
}
