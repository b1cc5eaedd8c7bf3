package openapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/openapi"
	"github.com/toolgate/toolgate/tools"
)

// convert parses doc and converts it with opts, failing the test on error.
func convert(t *testing.T, doc string, opts openapi.Options) *openapi.Result {
	t.Helper()
	d, err := openapi.Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	res, err := openapi.Convert(d, opts)
	if err != nil {
		t.Fatalf("Convert: %v", err)
	}
	return res
}

// toolNamed returns the imported tool called name.
func toolNamed(t *testing.T, res *openapi.Result, name string) *openapi.ImportedTool {
	t.Helper()
	for i := range res.Tools {
		if res.Tools[i].Definition.Name == name {
			return &res.Tools[i]
		}
	}
	var names []string
	for _, tl := range res.Tools {
		names = append(names, tl.Definition.Name)
	}
	t.Fatalf("no tool %s; tools: %v; skipped: %+v", name, names, res.Skipped)
	return nil
}

// jsonEqual compares two JSON documents as values.
func jsonEqual(t *testing.T, field string, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %v in %s", field, err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: want: %v", field, err)
	}
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("%s (-want +got):\n%s\ngot: %s", field, diff, got)
	}
}

const petStore30 = `
openapi: 3.0.3
info: {title: Pet Store, version: "1"}
servers:
  - url: "https://{region}.pets.example.com/v1"
    variables: {region: {default: eu, enum: [eu, us]}}
security: [{bearer: []}]
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
  schemas:
    Pet:
      type: object
      required: [id, name]
      properties:
        id: {type: integer, readOnly: true}
        name: {type: string, nullable: true}
        tag: {type: string, enum: [dog, cat], nullable: true}
        parent: {$ref: '#/components/schemas/Pet'}
paths:
  /pets/{petId}:
    parameters:
      - {name: petId, in: path, required: true, schema: {type: integer, minimum: 1, exclusiveMinimum: true}}
    put:
      operationId: pets/update
      summary: Update a pet
      description: Replaces the name and tag of the pet the caller names.
      parameters:
        - {name: name, in: query, description: Only update when the pet has this name., schema: {type: string}}
        - {name: X-Request-ID, in: header, schema: {type: string, format: uuid}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Pet'}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
`

func TestConvertOperation(t *testing.T) {
	res := convert(t, petStore30, openapi.Options{})

	wantConn := openapi.ConnectionSpec{
		Name:     "pet-store",
		BaseURL:  "https://eu.pets.example.com/v1",
		Auth:     tools.Auth{Type: tools.AuthBearer},
		Warnings: []openapi.FieldWarning{{Path: "secrets.token", Message: "set the token secret: secrets are never imported"}},
	}
	if diff := cmp.Diff(wantConn, res.Connection); diff != "" {
		t.Errorf("connection (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(openapi.Summary{Operations: 1, Imported: 1}, res.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}

	tl := toolNamed(t, res, "pets_update")
	if !tl.Valid || len(tl.Warnings) != 0 {
		t.Errorf("valid = %v, warnings = %+v; want a valid tool without warnings", tl.Valid, tl.Warnings)
	}
	def := tl.Definition
	want := tools.Definition{
		Name:        "pets_update",
		Description: "Update a pet.\n\nReplaces the name and tag of the pet the caller names.",
		Method:      "PUT",
		Connection:  "pet-store",
		Path:        "/pets/{{args.petId}}",
		Query:       map[string]string{"name": "{{args.name}}"},
		Headers:     map[string]string{"X-Request-ID": "{{args.X-Request-ID}}"},
	}
	got := def
	got.Body, got.InputSchema, got.OutputSchema = nil, nil, nil
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("definition (-want +got):\n%s", diff)
	}
	// The body property "name" meets the query parameter "name": it becomes
	// body_name. readOnly id is not an argument.
	jsonEqual(t, "body", def.Body, `{"name": "{{args.body_name}}", "parent": "{{args.parent}}", "tag": "{{args.tag}}"}`)
	pet := `{"type": "object", "required": ["name"], "properties": {
		"name": {"type": ["string", "null"]},
		"parent": {"$ref": "#/$defs/Pet"},
		"tag": {"type": ["string", "null"], "enum": ["dog", "cat", null]}}}`
	jsonEqual(t, "input_schema", def.InputSchema, `{
		"type": "object",
		"properties": {
			"petId": {"type": "integer", "exclusiveMinimum": 1},
			"name": {"type": "string", "description": "Only update when the pet has this name."},
			"X-Request-ID": {"type": "string", "format": "uuid"},
			"body_name": {"type": ["string", "null"]},
			"parent": `+pet+`,
			"tag": {"type": ["string", "null"], "enum": ["dog", "cat", null]}
		},
		"required": ["petId", "body_name"],
		"$defs": {"Pet": `+pet+`}
	}`)
	// Responses keep readOnly properties; a recursive schema refers to $defs.
	outPet := `{"type": "object", "required": ["id", "name"], "properties": {
		"id": {"type": "integer"},
		"name": {"type": ["string", "null"]},
		"parent": {"$ref": "#/$defs/Pet"},
		"tag": {"type": ["string", "null"], "enum": ["dog", "cat", null]}}}`
	jsonEqual(t, "output_schema", def.OutputSchema, strings.Replace(outPet, `"properties"`, `"$defs": {"Pet": `+outPet+`}, "properties"`, 1))
	if report := tools.Validate(&def, &tools.Connection{Name: "pet-store", Auth: res.Connection.Auth, Secrets: map[string]string{"token": "t"}}); !report.Valid {
		t.Errorf("tools.Validate: %+v", report)
	}

	// The draft renders the request the operation describes: absent optional
	// arguments drop their query parameter, header and body fields.
	rt, err := tools.NewRequestTemplate(&def)
	if err != nil {
		t.Fatal(err)
	}
	req, err := rt.Render(res.Connection.BaseURL, &tools.Scope{Args: map[string]any{"petId": 7, "body_name": "Rex", "tag": "dog"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := req.URL, "https://eu.pets.example.com/v1/pets/7"; got != want {
		t.Errorf("URL = %s, want %s", got, want)
	}
	if len(req.Header) != 0 {
		t.Errorf("headers = %v, want none", req.Header)
	}
	jsonEqual(t, "rendered body", req.Body, `{"name": "Rex", "tag": "dog"}`)
	req, err = rt.Render(res.Connection.BaseURL, &tools.Scope{Args: map[string]any{"petId": 7, "name": "Rex", "X-Request-ID": "r-1", "body_name": nil}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := req.URL, "https://eu.pets.example.com/v1/pets/7?name=Rex"; got != want {
		t.Errorf("URL = %s, want %s", got, want)
	}
	if got := req.Header.Get("X-Request-ID"); got != "r-1" {
		t.Errorf("X-Request-ID = %q, want r-1", got)
	}
}
