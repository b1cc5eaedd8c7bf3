package apidoc

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"sync"

	"github.com/toolgate/toolgate/gateway/httpapi"
)

// OpenAPIVersion is the version of the OpenAPI document.
const OpenAPIVersion = "3.1.0"

// APIVersion is the version of the REST API the document describes (its
// paths start /v1).
const APIVersion = "v1"

// OpenAPI returns the OpenAPI 3.1 document of toolgate's REST API (GET
// /v1/openapi.json): every route the gateway serves, who may call it, and
// its bodies, whose schemas are generated from the Go types as Schema's
// are.
func OpenAPI() []byte { return openAPIJSON() }

var openAPIJSON = sync.OnceValue(func() []byte { return mustMarshal(openAPIDocument()) })

// The OpenAPI objects the document uses.
type (
	document struct {
		OpenAPI    string              `json:"openapi"`
		Info       info                `json:"info"`
		Tags       []tag               `json:"tags"`
		Paths      map[string]pathItem `json:"paths"`
		Components componentsObject    `json:"components"`
	}
	info struct {
		Title       string `json:"title"`
		Version     string `json:"version"`
		Description string `json:"description"`
	}
	tag struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	pathItem  map[string]*operation
	operation struct {
		OperationID string                `json:"operationId"`
		Summary     string                `json:"summary"`
		Tags        []string              `json:"tags"`
		Security    []map[string][]string `json:"security"`
		Parameters  []parameter           `json:"parameters,omitempty"`
		RequestBody *requestBody          `json:"requestBody,omitempty"`
		Responses   map[string]response   `json:"responses"`
	}
	parameter struct {
		Name        string          `json:"name"`
		In          string          `json:"in"`
		Description string          `json:"description"`
		Required    bool            `json:"required"`
		Schema      json.RawMessage `json:"schema"`
	}
	requestBody struct {
		Required bool                 `json:"required"`
		Content  map[string]mediaType `json:"content"`
	}
	mediaType struct {
		Schema json.RawMessage `json:"schema"`
	}
	response struct {
		Description string               `json:"description"`
		Content     map[string]mediaType `json:"content,omitempty"`
	}
	componentsObject struct {
		Schemas         map[string]json.RawMessage `json:"schemas"`
		SecuritySchemes map[string]securityScheme  `json:"securitySchemes"`
	}
	securityScheme struct {
		Type        string `json:"type"`
		Scheme      string `json:"scheme,omitempty"`
		In          string `json:"in,omitempty"`
		Name        string `json:"name,omitempty"`
		Description string `json:"description"`
	}
)

var tags = []tag{
	{"admin", "The workspace and its API keys (admin keys)."},
	{"connections", "Connections: saved integrations with write-only secrets, and their OAuth2 tokens."},
	{"tools", "Tools: drafts, validation, publication, versions, tests and OpenAPI imports."},
	{"agents", "Agents and the tools activated for them."},
	{"runs", "The run history."},
	{"agent", "What agents call, with their agent keys: listing and calling tools, MCP and chat completions."},
	{"voice", "Voice platforms' webhooks."},
	{"schemas", "JSON Schemas of toolgate's objects, for files and editors."},
	{"operations", "Health, metrics and this document."},
	{"console", "The admin console's pages."},
}

var securitySchemes = map[string]securityScheme{
	authAdmin:   {Type: "http", Scheme: "bearer", Description: "An admin key of the workspace (tg_...)."},
	authAgent:   {Type: "http", Scheme: "bearer", Description: "An agent key: the agent's tools, runs and conversations only."},
	authSession: {Type: "apiKey", In: "cookie", Name: "toolgate_session", Description: "A console session, after signing in with an admin key."},
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// openAPIDocument builds the document once.
var openAPIDocument = sync.OnceValue(func() *document {
	doc := &document{
		OpenAPI: OpenAPIVersion,
		Info: info{Title: "toolgate", Version: APIVersion, Description: "The REST API of toolgate, a self-hosted tool gateway for LLM agents. " +
			"Every error has one shape: {\"error\": {\"type\", \"message\", \"details\"}}."},
		Tags:       tags,
		Paths:      map[string]pathItem{},
		Components: componentsObject{SecuritySchemes: securitySchemes},
	}
	types := []reflect.Type{reflect.TypeFor[httpapi.ErrorBody]()}
	for _, name := range Objects {
		types = append(types, objects[name].typ)
	}
	for _, r := range routes {
		for _, b := range []*body{r.request, r.response} {
			if b != nil && b.typ != nil {
				types = append(types, b.typ)
			}
		}
	}
	doc.Components.Schemas = components(types)
	errorRef := ref(reflect.TypeFor[httpapi.ErrorBody]())
	for _, r := range routes {
		op := &operation{OperationID: r.id, Summary: r.summary, Tags: []string{r.tag},
			Security: []map[string][]string{}, Responses: map[string]response{}}
		if r.auth != authNone {
			op.Security = []map[string][]string{{r.auth: {}}}
		}
		for _, m := range pathParam.FindAllStringSubmatch(r.path, -1) {
			op.Parameters = append(op.Parameters, parameter{Name: m[1], In: "path", Required: true,
				Description: "The " + m[1] + ".", Schema: json.RawMessage(`{"type":"string"}`)})
		}
		for _, p := range r.params {
			op.Parameters = append(op.Parameters, parameter{Name: p.name, In: p.in, Description: p.description, Schema: json.RawMessage(p.schema)})
		}
		if r.request != nil {
			op.RequestBody = &requestBody{Required: r.request.typ != nil, Content: content(r.request)}
		}
		ok := response{Description: http.StatusText(r.status)}
		if r.response != nil {
			ok.Content = content(r.response)
		}
		op.Responses[strconv.Itoa(r.status)] = ok
		for status, desc := range r.also {
			op.Responses[strconv.Itoa(status)] = response{Description: desc, Content: ok.Content}
		}
		op.Responses["default"] = response{Description: "An error.",
			Content: map[string]mediaType{"application/json": {Schema: errorRef}}}
		item := doc.Paths[r.path]
		if item == nil {
			item = pathItem{}
			doc.Paths[r.path] = item
		}
		method := map[string]string{"GET": "get", "POST": "post", "PUT": "put", "PATCH": "patch", "DELETE": "delete", "OPTIONS": "options"}[r.method]
		if method == "" || item[method] != nil {
			panic(fmt.Sprintf("apidoc: route %s %s is listed twice or has an unknown method", r.method, r.path))
		}
		item[method] = op
	}
	return doc
})

// content is the media types of a body.
func content(b *body) map[string]mediaType {
	var schema json.RawMessage
	switch {
	case b.typ != nil && b.list:
		schema = json.RawMessage(`{"type":"object","properties":{"items":{"type":"array","items":` + string(ref(b.typ)) +
			`},"next_cursor":{"type":"string","description":"Where the next page starts (cursor=...); empty on the last page."}},"required":["items","next_cursor"]}`)
	case b.typ != nil:
		schema = ref(b.typ)
	default:
		schema = json.RawMessage(b.schema)
	}
	return map[string]mediaType{b.mediaType: {Schema: schema}}
}

func ref(t reflect.Type) json.RawMessage {
	return json.RawMessage(`{"$ref":"#/components/schemas/` + componentName(t) + `"}`)
}

// Documented lists the method and path (OpenAPI form: /v1/tools/{name})
// of every route the document describes, sorted.
func Documented() []string {
	var out []string
	for _, r := range routes {
		out = append(out, r.method+" "+cmp.Or(r.served, r.path))
	}
	sort.Strings(out)
	return slices.Compact(out)
}
