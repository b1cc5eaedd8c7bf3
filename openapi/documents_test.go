package openapi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v4"

	"github.com/toolgate/toolgate/openapi"
	"github.com/toolgate/toolgate/schema"
	"github.com/toolgate/toolgate/tools"
)

// npmPath returns the path of a file or folder of an npm package installed
// in e2e/ (`npm ci` there). Without it the test skips, except under CI=true,
// where it fails.
func npmPath(t testing.TB, rel string) string {
	t.Helper()
	path := filepath.Join("..", "e2e", "node_modules", filepath.FromSlash(rel))
	if _, err := os.Stat(path); err != nil {
		msg := fmt.Sprintf("%s is missing: run `npm ci` in e2e/ to install the public OpenAPI documents", path)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

// exportCounts counts the tools a listing format could not express.
type exportCounts struct {
	tools, strictUnconverted, geminiUnconverted int
}

// checkResult checks what the import of one real document must satisfy:
// consistent counts, unique valid names, every draft valid or saying why
// in its warnings, every input schema compiling and exporting to each
// listing format (or reported as not convertible, as listings do).
func checkResult(t *testing.T, res *openapi.Result) exportCounts {
	t.Helper()
	s := res.Summary
	if s.Imported != len(res.Tools) || s.Skipped != len(res.Skipped) || s.Operations != s.Imported+s.Skipped {
		t.Errorf("summary %+v does not add up (%d tools, %d skipped)", s, len(res.Tools), len(res.Skipped))
	}
	for _, sk := range res.Skipped {
		if sk.Reason == "" || sk.Path == "" {
			t.Errorf("skipped %+v: want a path and a reason", sk)
		}
	}
	conn := &tools.Connection{Name: res.Connection.Name, BaseURL: res.Connection.BaseURL, Auth: res.Connection.Auth, Secrets: map[string]string{}}
	for _, name := range res.Connection.Auth.SecretNames() {
		conn.Secrets[name] = "secret"
	}
	var counts exportCounts
	names := map[string]bool{}
	for _, tl := range res.Tools {
		def := tl.Definition
		counts.tools++
		if names[def.Name] {
			t.Errorf("tool name %s is used twice", def.Name)
		}
		names[def.Name] = true
		if !tools.ValidName(def.Name) {
			t.Errorf("tool name %q is not valid", def.Name)
		}
		if len(def.Description) > openapi.DescriptionMax || !utf8.ValidString(def.Description) {
			t.Errorf("%s: description of %d bytes (valid UTF-8: %v)", def.Name, len(def.Description), utf8.ValidString(def.Description))
		}
		// The full definition, output_schema included.
		report := tools.Validate(&def, conn)
		if report.Valid != tl.Valid {
			t.Errorf("%s: Valid = %v, tools.Validate says %v: %+v", def.Name, tl.Valid, report.Valid, report.Errors)
		}
		for _, e := range report.Errors {
			want := openapi.FieldWarning{Path: e.Path, Message: "invalid: " + e.Message}
			if !slices.Contains(tl.Warnings, want) {
				t.Errorf("%s: validation error %+v is not in the warnings %+v", def.Name, e, tl.Warnings)
			}
		}
		if _, err := schema.Compile(def.InputSchema); err != nil {
			t.Errorf("%s: input_schema does not compile: %v\n%s", def.Name, err, def.InputSchema)
			continue
		}
		if len(def.OutputSchema) > 0 {
			if _, err := schema.Compile(def.OutputSchema); err != nil {
				t.Errorf("%s: output_schema does not compile: %v", def.Name, err)
			}
		}
		for format, out := range map[string]json.RawMessage{"anthropic": schema.Anthropic(def.InputSchema), "mcp": schema.MCP(def.InputSchema)} {
			var obj map[string]any
			if err := json.Unmarshal(out, &obj); err != nil || obj["type"] != "object" {
				t.Errorf("%s: %s schema is not an object schema: %s", def.Name, format, out)
			}
		}
		var nce *schema.NotConvertibleError
		if _, _, err := schema.OpenAIStrict(def.InputSchema); err != nil {
			if !errors.As(err, &nce) {
				t.Errorf("%s: OpenAI strict: %v", def.Name, err)
			}
			counts.strictUnconverted++
		}
		if _, err := schema.Gemini(def.InputSchema); err != nil {
			if !errors.As(err, &nce) {
				t.Errorf("%s: Gemini: %v", def.Name, err)
			}
			counts.geminiUnconverted++
		}
	}
	return counts
}

func importFile(t *testing.T, path string) *openapi.Result {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi.Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	res, err := openapi.Convert(doc, openapi.Options{NamePrefix: "x_"})
	if err != nil {
		t.Fatalf("Convert: %v", err)
	}
	return res
}

// TestReadmeExamples imports every example document of @readme/oas-examples
// (Swagger 2.0, OpenAPI 3.0 and 3.1), as shipped in JSON and in YAML.
func TestReadmeExamples(t *testing.T) {
	root := npmPath(t, "@readme/oas-examples")
	var files []string
	for _, version := range []string{"2.0", "3.0", "3.1"} {
		for _, form := range []string{"json/*.json", "yaml/*.yaml"} {
			matches, err := filepath.Glob(filepath.Join(root, version, filepath.FromSlash(form)))
			if err != nil {
				t.Fatal(err)
			}
			if len(matches) == 0 {
				t.Fatalf("no %s examples %s in %s", version, form, root)
			}
			files = append(files, matches...)
		}
	}
	for _, file := range files {
		rel, _ := filepath.Rel(root, file)
		t.Run(filepath.ToSlash(rel), func(t *testing.T) {
			res := importFile(t, file)
			counts := checkResult(t, res)
			t.Logf("%+v; %d tools: %d not expressible in OpenAI strict mode, %d in Gemini", res.Summary, counts.tools, counts.strictUnconverted, counts.geminiUnconverted)
		})
	}
}

// TestYAMLImportsAsJSON checks that a document imports the same written in
// YAML as in JSON: each JSON example is written again as YAML.
func TestYAMLImportsAsJSON(t *testing.T) {
	root := npmPath(t, "@readme/oas-examples")
	files, err := filepath.Glob(filepath.Join(root, "*", "json", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples in %s: %v", root, err)
	}
	for _, file := range files {
		rel, _ := filepath.Rel(root, file)
		t.Run(filepath.ToSlash(rel), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var tree any
			if err := json.Unmarshal(data, &tree); err != nil {
				t.Fatal(err)
			}
			yamlData, err := yaml.Marshal(tree)
			if err != nil {
				t.Fatal(err)
			}
			convertBytes := func(data []byte) *openapi.Result {
				doc, err := openapi.Parse(data)
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				res, err := openapi.Convert(doc, openapi.Options{})
				if err != nil {
					t.Fatal(err)
				}
				return res
			}
			if diff := cmp.Diff(convertBytes(data), convertBytes(yamlData)); diff != "" {
				t.Errorf("the YAML form imports differently (-json +yaml):\n%s", diff)
			}
		})
	}
}

// TestReadmeExamplesFacts pins what a few well-known documents import to.
func TestReadmeExamplesFacts(t *testing.T) {
	root := npmPath(t, "@readme/oas-examples")
	tests := []struct {
		file     string
		summary  openapi.Summary
		auth     string
		tools    []string // some of the tool names
		skipped  []string // "METHOD path" of every skipped operation
		baseURL  string
		hasInput map[string][]string // tool → argument names
	}{
		{
			file:    "2.0/json/petstore.json",
			summary: openapi.Summary{Operations: 20, Imported: 20},
			auth:    tools.AuthAPIKey,                // its OAuth2 scheme has the implicit flow only
			baseURL: "http://petstore.swagger.io/v2", // schemes: [http]
			tools:   []string{"x_addPet", "x_findPetsByStatus", "x_getPetById", "x_uploadFile", "x_loginUser"},
			hasInput: map[string][]string{
				"x_getPetById":       {"petId"},
				"x_findPetsByStatus": {"status"},
				"x_addPet":           {"category", "id", "name", "photoUrls", "status", "tags"},
			},
		},
		{
			file:    "3.0/json/petstore.json",
			summary: openapi.Summary{Operations: 20, Imported: 20},
			auth:    tools.AuthAPIKey,
			baseURL: "http://petstore.swagger.io/v2",
			tools:   []string{"x_addPet", "x_updatePetWithForm", "x_createUsersWithArrayInput"},
			hasInput: map[string][]string{
				"x_createUsersWithArrayInput": {"body"},
				"x_updatePetWithForm":         {"petId"},
			},
		},
		{
			file:    "3.1/json/train-travel.json",
			summary: openapi.Summary{Operations: 7, Imported: 7},
			auth:    tools.AuthOAuth2AuthorizationCode,
			baseURL: "https://api.example.com",
			tools:   []string{"x_get-stations", "x_create-booking", "x_create-booking-payment"},
			hasInput: map[string][]string{
				"x_create-booking":         {"has_bicycle", "has_dog", "passenger_name", "trip_id"},
				"x_create-booking-payment": {"bookingId", "amount", "currency", "source"},
			},
		},
		{
			file:    "3.0/json/readme-legacy.json",
			summary: openapi.Summary{Operations: 36, Imported: 34, Skipped: 2},
			auth:    tools.AuthBasic,
			baseURL: "https://dash.readme.com/api/v1",
			skipped: []string{"POST /api-specification", "PUT /api-specification/{id}"},
		},
		{
			file:    "3.0/json/circular.json",
			summary: openapi.Summary{Operations: 1, Imported: 1},
			auth:    tools.AuthNone,
			baseURL: "https://httpbin.org",
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res := importFile(t, filepath.Join(root, filepath.FromSlash(tt.file)))
			if diff := cmp.Diff(tt.summary, res.Summary); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
			if res.Connection.Auth.Type != tt.auth || res.Connection.BaseURL != tt.baseURL {
				t.Errorf("connection = %+v, want auth %s and base URL %s", res.Connection, tt.auth, tt.baseURL)
			}
			byName := map[string]*openapi.ImportedTool{}
			for i := range res.Tools {
				byName[res.Tools[i].Definition.Name] = &res.Tools[i]
			}
			for _, name := range tt.tools {
				if byName[name] == nil {
					t.Errorf("no tool %s", name)
				}
			}
			var skipped []string
			for _, s := range res.Skipped {
				skipped = append(skipped, s.Method+" "+s.Path)
			}
			if diff := cmp.Diff(tt.skipped, skipped); diff != "" {
				t.Errorf("skipped (-want +got):\n%s", diff)
			}
			for name, args := range tt.hasInput {
				tl := byName[name]
				if tl == nil {
					t.Errorf("no tool %s", name)
					continue
				}
				sch, err := schema.Compile(tl.Definition.InputSchema)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(args, sch.Properties()); diff != "" {
					t.Errorf("%s arguments (-want +got):\n%s", name, diff)
				}
			}
		})
	}
}
