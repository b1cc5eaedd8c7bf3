package console

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestContrast computes, from ui.css, the text and background colours of
// every outcome badge (and the other coloured labels) and requires a
// contrast ratio of at least 4.5:1 (WCAG AA for text). It resolves the
// cascade for an element with the given classes: rules whose selector is
// only classes (optionally after an element name) and all of whose classes
// the element has, the most specific and then the last one winning, with
// var() resolved from :root. Contextual selectors (descendants, pseudo
// classes) are not considered.
func TestContrast(t *testing.T) {
	css, err := uiStaticFS.ReadFile("ui/static/ui.css")
	if err != nil {
		t.Fatal(err)
	}
	sheet := parseCSS(t, string(css))
	type element struct {
		name    string
		tag     string
		classes string
	}
	var elements []element
	for _, outcome := range append(slices.Clone(uiOutcomes), "") {
		elements = append(elements, element{"outcome " + cmpOr(outcome, "pending"), "span", outcomeClass(outcome)})
	}
	for _, status := range []string{"ok", "pending", "bad"} {
		elements = append(elements, element{"badge " + status, "span", "badge " + status})
	}
	elements = append(elements,
		element{"tag", "span", "tag"},
		element{"truncated tag", "span", "tag warn"},
		element{"secret set", "span", "secret set"},
		element{"secret unset", "span", "secret unset"},
		element{"muted text", "span", "muted"},
		element{"warning text", "div", "small warn"},
		element{"error text", "p", "error"},
		element{"flash", "p", "flash"},
		element{"truncation note", "p", "trunc"},
	)
	for _, el := range elements {
		fg, bg := sheet.colors(t, el.tag, strings.Fields(el.classes))
		ratio := contrast(fg, bg)
		if ratio < 4.5 {
			t.Errorf("%s (class %q): text %s on %s has contrast %.2f:1, want at least 4.5:1", el.name, el.classes, fg, bg, ratio)
		}
	}
}

// outcomeClass is the class list the templates give an outcome's badge.
func outcomeClass(outcome string) string {
	return uiFuncs["outcomeClass"].(func(string) string)(outcome)
}

// cssRule is one selector of a rule with its declarations.
type cssRule struct {
	tag         string
	classes     []string
	specificity int
	order       int
	decls       map[string]string
}

type cssSheet struct {
	vars  map[string]string
	rules []cssRule
}

// parseCSS reads the top-level rules of a style sheet (rules inside @media
// and other at-rules are skipped).
func parseCSS(t *testing.T, css string) *cssSheet {
	t.Helper()
	for {
		i := strings.Index(css, "/*")
		if i < 0 {
			break
		}
		j := strings.Index(css[i:], "*/")
		if j < 0 {
			t.Fatal("unterminated comment in ui.css")
		}
		css = css[:i] + css[i+j+2:]
	}
	sheet := &cssSheet{vars: map[string]string{}}
	order := 0
	for rest := css; strings.TrimSpace(rest) != ""; {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			t.Fatalf("ui.css: text without a rule: %q", rest)
		}
		selectors := strings.TrimSpace(rest[:open])
		// Find the matching close brace (at-rules nest).
		depth, end := 0, -1
		for k := open; k < len(rest); k++ {
			switch rest[k] {
			case '{':
				depth++
			case '}':
				depth--
			}
			if depth == 0 {
				end = k
				break
			}
		}
		if end < 0 {
			t.Fatal("ui.css: unbalanced braces")
		}
		body := rest[open+1 : end]
		rest = rest[end+1:]
		if strings.HasPrefix(selectors, "@") {
			continue
		}
		decls := map[string]string{}
		for _, d := range strings.Split(body, ";") {
			name, value, ok := strings.Cut(d, ":")
			if ok {
				decls[strings.TrimSpace(name)] = strings.TrimSpace(value)
			}
		}
		for _, sel := range strings.Split(selectors, ",") {
			sel = strings.TrimSpace(sel)
			if sel == ":root" {
				for k, v := range decls {
					if strings.HasPrefix(k, "--") {
						sheet.vars[k] = v
					}
				}
				continue
			}
			if strings.ContainsAny(sel, " >+~:[#*") {
				continue // contextual or not a class selector
			}
			parts := strings.Split(sel, ".")
			r := cssRule{tag: parts[0], classes: parts[1:], order: order, decls: decls}
			r.specificity = len(r.classes) * 10
			if r.tag != "" {
				r.specificity++
			}
			sheet.rules = append(sheet.rules, r)
			order++
		}
	}
	return sheet
}

// colors returns the text and background colour of an element: its own
// rules' winners, else the body's text colour on the card background.
func (s *cssSheet) colors(t *testing.T, tag string, classes []string) (fg, bg string) {
	t.Helper()
	pick := func(props ...string) string {
		best, bestSpec, bestOrder := "", -1, -1
		for _, r := range s.rules {
			if r.tag != "" && r.tag != tag {
				continue
			}
			if len(r.classes) == 0 && r.tag == "" {
				continue
			}
			match := true
			for _, c := range r.classes {
				if !slices.Contains(classes, c) {
					match = false
				}
			}
			if !match {
				continue
			}
			for _, p := range props {
				v, ok := r.decls[p]
				if !ok {
					continue
				}
				if r.specificity > bestSpec || r.specificity == bestSpec && r.order > bestOrder {
					best, bestSpec, bestOrder = v, r.specificity, r.order
				}
			}
		}
		return best
	}
	fg = cmpOr(pick("color"), "var(--fg)")
	bg = cmpOr(pick("background", "background-color"), "var(--card)")
	return s.resolve(t, fg), s.resolve(t, bg)
}

// resolve replaces var(--x) with its value from :root.
func (s *cssSheet) resolve(t *testing.T, v string) string {
	t.Helper()
	for range 10 {
		if !strings.HasPrefix(v, "var(") {
			return v
		}
		name := strings.TrimSuffix(strings.TrimPrefix(v, "var("), ")")
		next, ok := s.vars[strings.TrimSpace(name)]
		if !ok {
			t.Fatalf("ui.css: undefined %s", v)
		}
		v = next
	}
	t.Fatalf("ui.css: var() loop at %s", v)
	return ""
}

// contrast is the WCAG contrast ratio of two #rgb or #rrggbb colours.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(color string) float64 {
	rgb, err := parseHexColor(color)
	if err != nil {
		panic(err)
	}
	var lin [3]float64
	for i, c := range rgb {
		s := float64(c) / 255
		if s <= 0.04045 {
			lin[i] = s / 12.92
		} else {
			lin[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*lin[0] + 0.7152*lin[1] + 0.0722*lin[2]
}

func parseHexColor(color string) ([3]uint8, error) {
	var out [3]uint8
	h, ok := strings.CutPrefix(color, "#")
	if !ok || (len(h) != 3 && len(h) != 6) {
		return out, fmt.Errorf("colour %q: the contrast test reads only #rgb and #rrggbb", color)
	}
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	for i := range 3 {
		v, err := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		if err != nil {
			return out, fmt.Errorf("colour %q: %w", color, err)
		}
		out[i] = uint8(v)
	}
	return out, nil
}

// TestContrastFormula checks the contrast computation on known pairs.
func TestContrastFormula(t *testing.T) {
	tests := []struct {
		a, b string
		want float64
	}{
		{"#000", "#fff", 21},
		{"#fff", "#fff", 1},
		{"#767676", "#ffffff", 4.54},
	}
	for _, tt := range tests {
		if got := contrast(tt.a, tt.b); math.Abs(got-tt.want) > 0.01 {
			t.Errorf("contrast(%s, %s) = %.3f, want %.2f", tt.a, tt.b, got, tt.want)
		}
	}
}
