package console

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// uiFuncs are the helpers templates may call. None of them produces
// template.HTML: everything they return is escaped in context.
var uiFuncs = template.FuncMap{
	"outcomeClass": func(outcome string) string { return "badge " + outcomeKind(outcome) },
	"outcomeKind":  outcomeKind,
	"pathEscape":   url.PathEscape,
	"when":         func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000") },
	"whenPtr": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05")
	},
	"ms": func(v float64) string {
		switch {
		case v >= 1000:
			return strconv.FormatFloat(v/1000, 'f', 2, 64) + " s"
		case v >= 10:
			return strconv.FormatFloat(v, 'f', 0, 64) + " ms"
		}
		return strconv.FormatFloat(v, 'f', 1, 64) + " ms"
	},
	"pct":   func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) + "%" },
	"num":   func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) },
	"short": func(id string) string { return shortID(id) },
	// px formats an SVG coordinate.
	"px":     trimFloat,
	"mul100": func(v float64) float64 { return v * 100 },
	"list":   func(v ...string) []string { return v },
}

// outcomeKind groups outcomes for their colour: ok, warn, bad or pending.
func outcomeKind(outcome string) string {
	switch outcome {
	case "success":
		return "ok"
	case "":
		return "pending"
	case "client_error", "invalid_arguments":
		return "warn"
	}
	return "bad"
}

// shortID shows the distinctive tail of a UUIDv7.
func shortID(id string) string {
	if len(id) > 13 {
		return "…" + id[len(id)-12:]
	}
	return id
}

// prettyJSON indents a JSON document; anything else is returned as is.
func prettyJSON(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return string(raw)
	}
	return buf.String()
}

// prettyBody pretty-prints a body that is JSON and leaves others alone.
func prettyBody(body string) string {
	trimmed := strings.TrimSpace(body)
	if trimmed == "" || (trimmed[0] != '{' && trimmed[0] != '[') || !json.Valid([]byte(trimmed)) {
		return body
	}
	return prettyJSON([]byte(trimmed))
}
