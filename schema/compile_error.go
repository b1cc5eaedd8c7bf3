package schema

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// CompileError explains why a tool's input schema was refused. The admin API
// reports it as {path, message}.
type CompileError struct {
	// Path is where in the tool definition the problem is, dot style:
	// input_schema.properties.age.type.
	Path string `json:"path"`
	// Message says what is wrong there, in a sentence a person can act on.
	Message string `json:"message"`
	// Err is the kind of problem, when it has one callers may test for
	// with errors.Is: [ErrSchemaTooDeep] or [ErrSchemaTooLarge].
	Err error `json:"-"`
}

// Error implements error: "input_schema.properties.age.type: must be ...".
func (e *CompileError) Error() string {
	return e.Path + ": " + e.Message
}

// Unwrap returns Err.
func (e *CompileError) Unwrap() error { return e.Err }

// compileError translates an error from the compiler into a *CompileError
// that names the offending location of doc.
func compileError(doc any, err error) *CompileError {
	var (
		verr    *jsonschema.SchemaValidationError
		regex   *jsonschema.InvalidRegexError
		load    *jsonschema.LoadURLError
		anchor  *jsonschema.AnchorNotFoundError
		pointer *jsonschema.JSONPointerNotFoundError
	)
	switch {
	case errors.As(err, &verr):
		var ve *jsonschema.ValidationError
		if errors.As(verr.Err, &ve) {
			issues, missing := collect(ve, doc, RootPath)
			if len(issues) > 0 {
				return &CompileError{Path: issues[0].Path, Message: issues[0].Message}
			}
			if len(missing) > 0 {
				return &CompileError{Path: missing[0], Message: "is required"}
			}
		}
		return &CompileError{Path: RootPath, Message: verr.Err.Error()}
	case errors.As(err, &regex):
		return &CompileError{
			Path:    fragmentPath(doc, regex.URL),
			Message: "is not a valid regular expression: " + regex.Err.Error(),
		}
	case errors.As(err, &load):
		path := refPath(doc, load.URL)
		if strings.HasSuffix(path, ".$schema") {
			return &CompileError{Path: path, Message: "names the unknown metaschema " + strconv.Quote(localRef(load.URL)) + "; use https://json-schema.org/draft/2020-12/schema or leave $schema out"}
		}
		return &CompileError{
			Path:    path,
			Message: "refers to " + strconv.Quote(localRef(load.URL)) + ", outside this schema; remote references are not allowed: define it under $defs and refer to it as #/$defs/name",
		}
	case errors.As(err, &anchor):
		return &CompileError{Path: refPath(doc, anchor.URL), Message: "refers to " + strconv.Quote(localRef(anchor.URL)) + ", which does not exist in this schema"}
	case errors.As(err, &pointer):
		return &CompileError{Path: refPath(doc, pointer.URL), Message: "refers to " + strconv.Quote(localRef(pointer.URL)) + ", which does not exist in this schema"}
	}
	msg := strings.ReplaceAll(err.Error(), schemaURL, "")
	return &CompileError{Path: RootPath, Message: strings.ReplaceAll(msg, baseURL, "")}
}

// fragmentPath renders the JSON pointer fragment of a schema location.
func fragmentPath(doc any, loc string) string {
	_, frag, _ := strings.Cut(loc, "#")
	return renderPath(RootPath, doc, pointerTokens(frag))
}

// pointerTokens splits a JSON pointer (possibly percent-encoded, as in a URL
// fragment) into its unescaped tokens.
func pointerTokens(ptr string) []string {
	if unescaped, err := url.PathUnescape(ptr); err == nil {
		ptr = unescaped
	}
	ptr = strings.TrimPrefix(ptr, "/")
	if ptr == "" {
		return nil
	}
	tokens := strings.Split(ptr, "/")
	for i, tok := range tokens {
		tokens[i] = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
	}
	return tokens
}

// localRef strips the made-up base URL so a message shows the reference as
// the admin wrote it.
func localRef(loc string) string {
	if rest, ok := strings.CutPrefix(loc, schemaURL); ok {
		return rest
	}
	return strings.TrimPrefix(loc, baseURL)
}

// refPath finds the $ref (or $schema, $dynamicRef) in doc that points at
// target and renders its location; it falls back to the root.
func refPath(doc any, target string) string {
	var found []string
	var walk func(v any, tokens []string) bool
	walk = func(v any, tokens []string) bool {
		switch v := v.(type) {
		case map[string]any:
			for _, kw := range []string{"$ref", "$dynamicRef", "$schema"} {
				ref, ok := v[kw].(string)
				if ok && refMatches(ref, target) {
					found = append(slices.Clone(tokens), kw)
					return true
				}
			}
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				if walk(v[k], append(tokens, k)) {
					return true
				}
			}
		case []any:
			for i, item := range v {
				if walk(item, append(tokens, strconv.Itoa(i))) {
					return true
				}
			}
		}
		return false
	}
	if walk(doc, nil) {
		return renderPath(RootPath, doc, found)
	}
	return RootPath
}

// refMatches reports whether the reference ref, as written, resolves to
// target, comparing without the made-up base URL.
func refMatches(ref, target string) bool {
	if ref == "" {
		return false
	}
	if ref == target || ref == localRef(target) {
		return true
	}
	base, _, _ := strings.Cut(target, "#")
	refBase, _, _ := strings.Cut(ref, "#")
	return refBase != "" && strings.HasSuffix(base, refBase)
}
