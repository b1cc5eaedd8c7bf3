package openapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"
)

// yamlNodeSlack is how many more nodes than bytes a YAML document may expand
// to through aliases; beyond it the document is refused (a "billion laughs"
// document would otherwise exhaust memory).
const yamlNodeSlack = 100_000

// decodeYAML decodes a YAML document into the same shapes decodeJSON gives:
// map[string]any (keys as written, so a response code 200 stays "200"),
// []any, string, bool, nil and json.Number.
func decodeYAML(data []byte) (any, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlSyntaxError(err)
	}
	if root.Kind == 0 {
		return nil, &DocumentError{Message: "the document is empty"}
	}
	c := yamlConverter{budget: 2*len(data) + yamlNodeSlack}
	return c.value(&root)
}

func yamlSyntaxError(err error) error {
	var le *yaml.LoadError
	if errors.As(err, &le) {
		return &DocumentError{Line: le.Mark.Line, Column: le.Mark.Column, Message: "invalid YAML: " + le.Message}
	}
	var les *yaml.LoadErrors
	if errors.As(err, &les) && len(les.Errors) > 0 {
		first := les.Errors[0]
		return &DocumentError{Line: first.Mark.Line, Column: first.Mark.Column, Message: "invalid YAML: " + first.Message}
	}
	return &DocumentError{Message: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
}

type yamlConverter struct {
	budget int
	depth  int
}

func (c *yamlConverter) errAt(n *yaml.Node, format string, args ...any) error {
	return &DocumentError{Line: n.Line, Column: n.Column, Message: fmt.Sprintf(format, args...)}
}

func (c *yamlConverter) value(n *yaml.Node) (any, error) {
	c.budget--
	if c.budget < 0 {
		return nil, c.errAt(n, "the document expands to too many values through aliases")
	}
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > 10_000 {
		return nil, c.errAt(n, "the document is nested too deeply")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(n.Content[0])
	case yaml.AliasNode:
		return c.value(n.Alias)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			v, err := c.value(item)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		if err := c.mapping(n, out); err != nil {
			return nil, err
		}
		return out, nil
	case yaml.ScalarNode:
		return c.scalar(n)
	}
	return nil, c.errAt(n, "unexpected YAML node")
}

// mapping fills out with n's pairs. Merge keys (<<) add the pairs of the
// merged mappings that n does not set itself.
func (c *yamlConverter) mapping(n *yaml.Node, out map[string]any) error {
	var merges []*yaml.Node
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
			return c.errAt(k, "a mapping key must be a plain value")
		}
		if _, dup := out[k.Value]; dup {
			return c.errAt(k, "mapping key %q is repeated", k.Value)
		}
		val, err := c.value(v)
		if err != nil {
			return err
		}
		out[k.Value] = val
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
				return c.errAt(src, "a merge key (<<) must name a mapping")
			}
			merged := map[string]any{}
			if err := c.mapping(src, merged); err != nil {
				return err
			}
			for k, v := range merged {
				if _, set := out[k]; !set {
					out[k] = v
				}
			}
		}
	}
	return nil
}

func (c *yamlConverter) scalar(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, c.errAt(n, "invalid boolean %q", n.Value)
		}
		return b, nil
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			return json.Number(strconv.FormatInt(i, 10)), nil
		}
		var u uint64
		if err := n.Decode(&u); err == nil {
			return json.Number(strconv.FormatUint(u, 10)), nil
		}
		return n.Value, nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return n.Value, nil // .inf and .nan have no JSON form
		}
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil
	}
	// !!str, !!timestamp (kept as written), !!binary and custom tags.
	return n.Value, nil
}
