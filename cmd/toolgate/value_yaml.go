package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"
)

// yamlNodeSlack is how many more values than bytes a YAML file may expand
// to through aliases; beyond it the file is refused (a "billion laughs"
// file would otherwise exhaust memory).
const yamlNodeSlack = 100_000

// valuesOfYAML reads every document of a YAML stream as JSON values:
// numbers keep their value (written in JSON's form), mapping keys are
// strings, a repeated key is refused, aliases and merge keys (<<) are
// expanded. Empty documents are left out. An integer written with a
// leading zero (02134), which YAML reads as octal, is refused.
func valuesOfYAML(data []byte) ([]*value, error) {
	// Repeated keys are found by mapping, which says which key and where.
	loader, err := yaml.NewLoader(bytes.NewReader(data), yaml.WithUniqueKeys(false))
	if err != nil {
		return nil, err
	}
	c := yamlConverter{budget: 2*len(data) + yamlNodeSlack}
	var out []*value
	for {
		var doc yaml.Node
		if err := loader.Load(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, yamlSyntaxError(err)
		}
		if doc.Kind == 0 || (doc.Kind == yaml.DocumentNode && len(doc.Content) == 0) {
			continue
		}
		v, err := c.value(&doc, "")
		if err != nil {
			return nil, err
		}
		if v.isNull() { // a document of only comments, or "~"
			continue
		}
		out = append(out, v)
	}
}

func yamlSyntaxError(err error) error {
	var le *yaml.LoadError
	if errors.As(err, &le) {
		return &positionError{line: le.Mark.Line, msg: "invalid YAML: " + le.Message}
	}
	var les *yaml.LoadErrors
	if errors.As(err, &les) && len(les.Errors) > 0 {
		first := les.Errors[0]
		return &positionError{line: first.Mark.Line, msg: "invalid YAML: " + first.Message}
	}
	return &positionError{msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
}

type yamlConverter struct {
	budget int
	depth  int
}

func errAt(n *yaml.Node, format string, args ...any) error {
	return &positionError{line: n.Line, msg: fmt.Sprintf(format, args...)}
}

// value converts n, at path (a field path, "tools[0].name") of its
// document.
func (c *yamlConverter) value(n *yaml.Node, path string) (*value, error) {
	c.budget--
	if c.budget < 0 {
		return nil, errAt(n, "the file expands to too many values through aliases")
	}
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > jsonValueDepthMax {
		return nil, errAt(n, "nested too deeply")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return &value{raw: "null", line: n.Line}, nil
		}
		return c.value(n.Content[0], path)
	case yaml.AliasNode:
		v, err := c.value(n.Alias, path)
		if err != nil {
			return nil, err
		}
		// Where it is used, not where the anchor is.
		cp := *v
		cp.line = n.Line
		return &cp, nil
	case yaml.SequenceNode:
		v := &value{kind: arrayValue, line: n.Line, items: make([]*value, 0, len(n.Content))}
		for i, item := range n.Content {
			iv, err := c.value(item, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			v.items = append(v.items, iv)
		}
		return v, nil
	case yaml.MappingNode:
		v := &value{kind: objectValue, line: n.Line}
		if err := c.mapping(n, v, path); err != nil {
			return nil, err
		}
		return v, nil
	case yaml.ScalarNode:
		raw, err := yamlScalar(n, path)
		if err != nil {
			return nil, err
		}
		return &value{raw: raw, line: n.Line}, nil
	}
	return nil, errAt(n, "unexpected YAML node")
}

// mapping fills out with n's pairs. Merge keys (<<) add the pairs of the
// merged mappings that n does not set itself.
func (c *yamlConverter) mapping(n *yaml.Node, out *value, path string) error {
	var merges []*yaml.Node
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind == yaml.AliasNode {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode {
			return errAt(k, "a mapping key must be a plain value")
		}
		if seen[k.Value] {
			return errAt(n.Content[i], "key %q is repeated", k.Value)
		}
		seen[k.Value] = true
		val, err := c.value(v, joinPath(path, k.Value))
		if err != nil {
			return err
		}
		out.keys, out.members = append(out.keys, k.Value), append(out.members, val)
	}
	for _, m := range merges {
		if m.Kind == yaml.AliasNode {
			m = m.Alias
		}
		sources := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			sources = m.Content
		}
		for _, src := range sources {
			if src.Kind == yaml.AliasNode {
				src = src.Alias
			}
			if src.Kind != yaml.MappingNode {
				return errAt(src, "a merge key (<<) must name a mapping")
			}
			merged := &value{kind: objectValue}
			if err := c.mapping(src, merged, path); err != nil {
				return err
			}
			for i, k := range merged.keys {
				if !seen[k] {
					seen[k] = true
					out.keys, out.members = append(out.keys, k), append(out.members, merged.members[i])
				}
			}
		}
	}
	return nil
}

// yamlScalar is a scalar's JSON text. Integers and floats become JSON
// numbers of the same value (0x1F → 31, 1_000 → 1000); .inf and .nan,
// which JSON cannot hold, are refused; timestamps, binary and custom tags
// stay the text written.
func yamlScalar(n *yaml.Node, path string) (string, error) {
	switch n.ShortTag() {
	case "!!null":
		return "null", nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return "", errAt(n, "invalid boolean %q", n.Value)
		}
		return strconv.FormatBool(b), nil
	case "!!int":
		text := strings.ReplaceAll(n.Value, "_", "")
		if leadingZero(text) {
			// YAML 1.1 reads it as octal (02134 is 1116): rarely what a
			// zip code, an account number or an id meant.
			at := ""
			if path != "" {
				at = path + ": "
			}
			return "", errAt(n, "%s%s would be read as an octal number; quote it (%q) if it is text, or write it without the leading 0",
				at, n.Value, n.Value)
		}
		if isJSONNumber(text) {
			return text, nil
		}
		var i64 int64
		if err := n.Decode(&i64); err == nil {
			return strconv.FormatInt(i64, 10), nil
		}
		var u64 uint64
		if err := n.Decode(&u64); err == nil {
			return strconv.FormatUint(u64, 10), nil
		}
		i, ok := new(big.Int).SetString(text, 0)
		if !ok {
			return "", errAt(n, "invalid integer %q", n.Value)
		}
		return i.String(), nil
	case "!!float":
		text := strings.ReplaceAll(n.Value, "_", "")
		if isJSONNumber(text) {
			return text, nil
		}
		f, err := strconv.ParseFloat(strings.TrimPrefix(text, "+"), 64)
		if err != nil {
			var yf float64
			if n.Decode(&yf) != nil {
				return "", errAt(n, "invalid number %q", n.Value)
			}
			f = yf
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return "", errAt(n, "%s is not a number JSON can hold", n.Value)
		}
		return strconv.FormatFloat(f, 'g', -1, 64), nil
	}
	// !!str, !!timestamp (kept as written), !!binary and custom tags.
	return jsonString(n.Value), nil
}

// leadingZero reports whether an integer's text starts with 0 and another
// digit (after its sign).
func leadingZero(s string) bool {
	s = strings.TrimLeft(s, "+-")
	return len(s) > 1 && s[0] == '0' && s[1] >= '0' && s[1] <= '9'
}

// isJSONNumber reports whether s is a number as JSON writes it.
func isJSONNumber(s string) bool {
	if s == "" {
		return false
	}
	var n json.Number
	return json.Unmarshal([]byte(s), &n) == nil && n.String() == s
}

// writeYAML writes values as a YAML stream, one document each: members in
// order, strings quoted only where YAML needs it, multi-line strings as
// literal blocks, lines never wrapped. Each document has a dumper of its
// own: one dumper's buffer grows with the whole stream, and slows down.
func writeYAML(w io.Writer, docs ...*value) error {
	for i, doc := range docs {
		n, err := yamlNode(doc)
		if err != nil {
			return err
		}
		if i > 0 {
			if _, err := io.WriteString(w, "---\n"); err != nil {
				return err
			}
		}
		d, err := yaml.NewDumper(w, yaml.WithIndent(2), yaml.WithLineWidth(-1), yaml.WithCompactSeqIndent(false))
		if err != nil {
			return err
		}
		if err := d.Dump(n); err != nil {
			return err
		}
		if err := d.Close(); err != nil {
			return err
		}
	}
	return nil
}

// yamlNode is v as a YAML node.
func yamlNode(v *value) (*yaml.Node, error) {
	switch v.kind {
	case objectValue:
		n := &yaml.Node{Kind: yaml.MappingNode}
		if len(v.keys) == 0 {
			n.Style = yaml.FlowStyle
		}
		for i, k := range v.keys {
			m, err := yamlNode(v.members[i])
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, m)
		}
		return n, nil
	case arrayValue:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		if len(v.items) == 0 {
			n.Style = yaml.FlowStyle
		}
		for _, item := range v.items {
			m, err := yamlNode(item)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, m)
		}
		return n, nil
	}
	switch raw := v.raw; {
	case raw == "null":
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	case raw == "true" || raw == "false":
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: raw}, nil
	case strings.HasPrefix(raw, `"`):
		s, _ := v.str()
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}, nil
	case strings.ContainsAny(raw, ".eE"):
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: raw}, nil
	default:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: raw}, nil
	}
}
