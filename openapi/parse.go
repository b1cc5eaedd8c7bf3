package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
)

// MaxDocumentBytes bounds the document Parse accepts (GitHub's REST
// description is about 13 MB).
const MaxDocumentBytes = 32 << 20

// Document is a parsed OpenAPI 3.0, 3.1 or Swagger 2.0 document. Swagger 2.0
// is held converted to OpenAPI 3.0, so Convert reads every version the same
// way. A Document is read-only after Parse.
type Document struct {
	// version is the document's own version: "2.0", "3.0.3", "3.1.0"...
	version string
	doc     *openapi3.T
}

// Version returns the version the document declares: "2.0" for Swagger,
// otherwise its openapi field ("3.0.3", "3.1.0").
func (d *Document) Version() string { return d.version }

// Title returns the document's info.title.
func (d *Document) Title() string {
	if d.doc.Info == nil {
		return ""
	}
	return d.doc.Info.Title
}

// nullableKeyword reports whether the schema keyword nullable has its
// OpenAPI 3.0 meaning (3.0, and Swagger 2.0 converted to 3.0).
func (d *Document) nullableKeyword() bool { return !strings.HasPrefix(d.doc.OpenAPI, "3.1") }

// DocumentError is a document that cannot be parsed. It names the place:
// Line and Column for a JSON or YAML syntax error, Pointer (a JSON pointer
// such as /paths/~1pets/get/parameters) for a document whose structure is
// not OpenAPI's. The gateway answers it with 422.
type DocumentError struct {
	// Line and Column locate a syntax error (1-based; 0 when unknown).
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
	// Pointer is the JSON pointer of a structural error ("" for the whole
	// document or when unknown).
	Pointer string `json:"pointer,omitempty"`
	// Message says what is wrong.
	Message string `json:"message"`
}

// Error implements error.
func (e *DocumentError) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Message)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	case e.Pointer != "":
		return fmt.Sprintf("at %s: %s", e.Pointer, e.Message)
	}
	return e.Message
}

// Parse reads an OpenAPI 3.0.x or 3.1.x, or a Swagger 2.0 document, in JSON
// or YAML. Local $refs are resolved (circular ones included); a remote $ref,
// or a local one that points to nothing, is never fetched: the parts that
// use it are reported by Convert. Every error is a *DocumentError.
func Parse(data []byte) (*Document, error) {
	if len(data) > MaxDocumentBytes {
		return nil, &DocumentError{Message: fmt.Sprintf("the document is %d bytes; at most %d are accepted", len(data), MaxDocumentBytes)}
	}
	tree, err := decodeTree(data)
	if err != nil {
		return nil, err
	}
	root, ok := tree.(map[string]any)
	if !ok {
		return nil, &DocumentError{Message: "the document must be an object with an openapi or swagger field"}
	}
	version, err := documentVersion(root)
	if err != nil {
		return nil, err
	}
	if p, ok := root["paths"]; ok && p != nil {
		if _, ok := p.(map[string]any); !ok {
			return nil, &DocumentError{Pointer: "/paths", Message: "must be an object of path items"}
		}
	}
	dropExamples(root)
	markUnresolvedRefs(root)
	// Written back compact: kin-openapi's decoders re-scan each nested
	// object, whitespace included, so a compact document decodes much faster.
	raw, err := json.Marshal(root)
	if err != nil {
		return nil, &DocumentError{Message: "the document cannot be read as JSON: " + err.Error()}
	}
	var doc *openapi3.T
	if version == "2.0" {
		doc, err = loadV2(raw)
	} else {
		doc, err = loadV3(raw)
	}
	if err != nil {
		return nil, err
	}
	return &Document{version: version, doc: doc}, nil
}

// documentVersion reads and checks the openapi or swagger field.
func documentVersion(root map[string]any) (string, error) {
	if v, ok := root["swagger"]; ok {
		if s, _ := v.(string); s != "2.0" {
			return "", &DocumentError{Pointer: "/swagger", Message: fmt.Sprintf(`must be "2.0", not %s`, compactJSON(v))}
		}
		return "2.0", nil
	}
	v, ok := root["openapi"]
	if !ok {
		return "", &DocumentError{Message: `not an OpenAPI document: it has neither an "openapi" nor a "swagger" field`}
	}
	s, _ := v.(string)
	if !strings.HasPrefix(s, "3.0.") && !strings.HasPrefix(s, "3.1.") {
		return "", &DocumentError{Pointer: "/openapi", Message: fmt.Sprintf("version %s is not supported: use OpenAPI 3.0.x, 3.1.x or Swagger 2.0", compactJSON(v))}
	}
	return s, nil
}

// loadV3 decodes an OpenAPI 3 document and resolves its local refs. JSON
// goes through encoding/json (kin-openapi's YAML reader is several times
// slower on large JSON documents); when that fails the document is read
// again through the YAML reader only to locate the error.
func loadV3(raw []byte) (*openapi3.T, error) {
	var doc openapi3.T
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, locateV3Error(raw, err)
	}
	loader := openapi3.NewLoader() // external refs stay disallowed
	if err := loader.ResolveRefsIn(&doc, nil); err != nil {
		return nil, &DocumentError{Message: "resolving $refs: " + err.Error()}
	}
	return &doc, nil
}

// kinPointer finds the JSON pointer in kin-openapi's YAML decoding errors:
// "... line 1: cannot construct !!map into openapi3.Parameters in
// /paths/~1a/get/parameters".
var (
	kinPointer = regexp.MustCompile(` in (/[^\s;,]*)`)
	kinDetail  = regexp.MustCompile(`line \d+: (.*?)(?: in /[^\s;,]*)?(?:;|$)`)
)

// locateV3Error turns a decoding error into a *DocumentError with the JSON
// pointer of the offending value, found by decoding raw again through
// kin-openapi's YAML reader, which tracks where it is.
func locateV3Error(raw []byte, jsonErr error) error {
	_, err := openapi3.NewLoader().LoadFromData(raw)
	if err == nil {
		return &DocumentError{Message: "the document does not decode: " + jsonErr.Error()}
	}
	msg := err.Error()
	if _, yamlPart, ok := strings.Cut(msg, "yaml error: "); ok {
		msg = yamlPart
	}
	de := &DocumentError{Message: msg}
	if m := kinPointer.FindStringSubmatch(msg); m != nil {
		de.Pointer = m[1]
		if d := kinDetail.FindStringSubmatch(msg); d != nil {
			de.Message = d[1]
		}
	}
	return de
}

// loadV2 decodes a Swagger 2.0 document and converts it to OpenAPI 3.0,
// which resolves its local refs.
func loadV2(raw []byte) (*openapi3.T, error) {
	var doc2 openapi2.T
	if err := json.Unmarshal(raw, &doc2); err != nil {
		return nil, &DocumentError{Message: "the document is not a valid Swagger 2.0 document: " + err.Error()}
	}
	doc, err := openapi2conv.ToV3(&doc2)
	if err != nil {
		return nil, &DocumentError{Message: "converting Swagger 2.0: " + err.Error()}
	}
	return doc, nil
}

// decodeTree decodes data as JSON when it starts with '{', otherwise as
// YAML, into maps, slices and scalars (numbers as json.Number).
func decodeTree(data []byte) (any, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		return decodeJSON(data)
	}
	return decodeYAML(data)
}

func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, jsonSyntaxError(data, err)
	}
	if dec.More() {
		rest := data[dec.InputOffset():]
		skipped := len(rest) - len(bytes.TrimLeft(rest, " \t\r\n"))
		line, col := position(data, int(dec.InputOffset())+skipped)
		return nil, &DocumentError{Line: line, Column: col, Message: "unexpected data after the end of the document"}
	}
	return tree, nil
}

// jsonSyntaxError locates a JSON decoding error by line and column.
func jsonSyntaxError(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// Offset counts the offending byte: point at it.
		line, col := position(data, int(se.Offset)-1)
		return &DocumentError{Line: line, Column: col, Message: "invalid JSON: " + se.Error()}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		line, col := position(data, len(data))
		return &DocumentError{Line: line, Column: col, Message: "invalid JSON: the document ends too early"}
	}
	return &DocumentError{Message: "invalid JSON: " + err.Error()}
}

// position returns the 1-based line and column of byte offset off.
func position(data []byte, off int) (line, col int) {
	off = min(max(off, 0), len(data))
	before := data[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = off - bytes.LastIndexByte(before, '\n')
	return line, col
}

// compactJSON renders a decoded value for a message.
func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
