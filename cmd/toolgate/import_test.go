package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// petsDocument is a small OpenAPI document: two operations tagged pets,
// one without the tag, and one whose body cannot be sent.
const petsDocument = `openapi: 3.0.3
info: {title: Pets, version: "1"}
servers: [{url: "https://pets.example.com/v1"}]
paths:
  /pets:
    get:
      operationId: listPets
      tags: [pets]
      summary: List the pets of the shop, newest first.
      parameters: [{name: limit, in: query, schema: {type: integer}}]
      responses: {"200": {description: ok}}
    post:
      operationId: createPet
      tags: [pets]
      summary: Add a pet to the shop once the caller gave its name.
      requestBody:
        content: {application/json: {schema: {type: object, properties: {name: {type: string}}, required: [name]}}}
      responses: {"201": {description: created}}
  /pets/{id}:
    get:
      operationId: getPet
      summary: Look up one pet by its id.
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
    delete:
      operationId: deletePets
      tags: [pets]
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      requestBody:
        required: true
        content: {application/json: {schema: {type: object, properties: {reason: {type: string}}}}}
      responses: {"204": {description: deleted}}
`

// TestImportOpenAPI imports a document from a file (flags after it) and
// from a URL, dry and for real, and reports what the gateway refuses.
func TestImportOpenAPI(t *testing.T) {
	g := newTestGateway(t)
	doc := filepath.Join(writeFiles(t, t.TempDir(), map[string]string{"pets.yaml": petsDocument}), "pets.yaml")

	out, _, err := g.run(g.env(), "import", "openapi", doc, "-connection", "pets", "--prefix", "pets_", "-tag", "pets", "-dry-run")
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	for _, want := range []string{
		"read " + doc + ": 1.", "uploading ", "dry run, nothing written (",
		`"Pets", OpenAPI 3.0.3`, "+ connection pets: created, https://pets.example.com/v1",
		"+ tool pets_listPets: GET /pets\n", "+ tool pets_createPet: POST /pets\n",
		"skipped DELETE /pets/{id} (deletePets): ",
		"3 operations: 2 imported (2 created, 0 updated, 0 unchanged), 1 skipped",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the dry run's output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "getPet") || g.writeCount() != 1 { // the import request itself
		t.Errorf("the dry run imported an operation without the tag, or wrote: %v\n%s", g.writesSince(0), out)
	}

	out, _, err = g.run(g.env(), "import", "openapi", doc, "-connection", "pets", "-prefix", "pets_", "-tag", "pets")
	if err != nil || !strings.Contains(out, "imported (") || !strings.Contains(out, "+ tool pets_listPets: GET /pets\n") ||
		!strings.Contains(out, "the tools are drafts") {
		t.Fatalf("import: %v\n%s", err, out)
	}
	if tool := g.byName("tools", "pets_listPets"); tool == nil || tool["status"] != "draft" {
		t.Errorf("the imported tool: %v", tool)
	}
	out, _, err = g.run(g.env(), "import", "openapi", doc, "-connection", "pets", "-prefix", "pets_", "-operation", "listPets")
	if err != nil || !strings.Contains(out, "= connection pets: reused") || !strings.Contains(out, "= tool pets_listPets: GET /pets\n") ||
		!strings.Contains(out, "1 operations: 1 imported (0 created, 0 updated, 1 unchanged)") {
		t.Errorf("importing again: %v\n%s", err, out)
	}

	// From a URL, fetched by the gateway.
	served := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		fmt.Fprint(w, petsDocument)
	}))
	defer served.Close()
	out, _, err = g.run(g.env(), "import", "openapi", served.URL+"/openapi.yaml", "-connection", "pets2", "-method", "GET")
	if err != nil || !strings.Contains(out, "the gateway will fetch "+served.URL) || !strings.Contains(out, "+ tool getPet: GET /pets/{id}\n") {
		t.Errorf("import from a URL: %v\n%s", err, out)
	}

	// What the gateway refuses says what to fix.
	bad := filepath.Join(writeFiles(t, t.TempDir(), map[string]string{"bad.yaml": "openapi: 3.0.3\ninfo: {title: x\n"}), "bad.yaml")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "openapi", bad, "-connection", "x"}, bad + ": the document cannot be read: line "},
		{[]string{"import", "openapi", doc, "-connection", "not a name"}, "the import was refused: -connection: must match"},
		{[]string{"import", "openapi", doc}, "-connection NAME is required"},
		{[]string{"import", "openapi", "-connection", "x"}, "usage: toolgate import openapi FILE|URL"},
		{[]string{"import", "openapi", filepath.Join(t.TempDir(), "missing.yaml"), "-connection", "x"}, "no such file"},
	} {
		if _, _, err := g.run(g.env(), tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
}

// TestImportExample imports the README's example document: its drafts
// are valid and only the connection's secret is left to set.
func TestImportExample(t *testing.T) {
	g := newTestGateway(t)
	out, _, err := g.run(g.env(), "import", "openapi", "../../examples/upstream/openapi.yaml", "--connection", "backend", "--prefix", "demo_")
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	for _, want := range []string{"+ connection backend: created, http://127.0.0.1:9000", "+ tool demo_get_order: GET /orders/{id}\n",
		"+ tool demo_save_lead: POST /leads\n", "2 operations: 2 imported (2 created, 0 updated, 0 unchanged), 0 skipped"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	// A new connection's secrets are for the admin to set; nothing else
	// needs a look.
	if strings.Count(out, "warning:") != 1 || !strings.Contains(out, "warning: secrets.token: set the token secret") || strings.Contains(out, "invalid") {
		t.Errorf("the example's import warns:\n%s", out)
	}
}

// githubDescription is GitHub's official REST description in
// @octokit/openapi.
const githubDescription = "@octokit/openapi/generated/api.github.com.json"

// npmPath returns the path of a file of an npm package installed in e2e/
// (`npm ci` there). Without it the test skips, except under CI=true, where
// it fails.
func npmPath(t testing.TB, rel string) string {
	t.Helper()
	path := filepath.Join("..", "..", "e2e", "node_modules", filepath.FromSlash(rel))
	if _, err := os.Stat(path); err != nil {
		msg := fmt.Sprintf("%s is missing: run `npm ci` in e2e/ to install the public OpenAPI documents", path)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

// TestImportGitHub imports GitHub's REST description (about 13 MB, 1,100
// operations) from the command line: it shows its phases as it goes, a
// line per tool and a summary.
func TestImportGitHub(t *testing.T) {
	skipUnderRace(t)
	doc := npmPath(t, githubDescription)
	g := newTestGateway(t)
	out, _, err := g.run(g.env(), "import", "openapi", doc, "-connection", "github", "-prefix", "gh_")
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	for _, phase := range []string{"read " + doc + ": 1", "uploading ", "uploaded (", "imported (", "+ connection github: created, https://api.github.com"} {
		if !strings.Contains(out, phase) {
			t.Errorf("the output lacks %q", phase)
		}
	}
	summary := regexp.MustCompile(`(\d+) operations: (\d+) imported \((\d+) created, 0 updated, 0 unchanged\), (\d+) skipped; `).FindStringSubmatch(out)
	if summary == nil {
		t.Fatalf("no summary in the output:\n%s", out[max(0, len(out)-2000):])
	}
	var operations, imported, created, skipped int
	fmt.Sscan(strings.Join(summary[1:], " "), &operations, &imported, &created, &skipped)
	toolLines := strings.Count(out, "\n+ tool gh_")
	skippedLines := strings.Count(out, "\nskipped ")
	if operations < 1100 || imported != created || toolLines != imported || skippedLines != skipped || operations != imported+skipped {
		t.Errorf("summary %q: %d tool lines, %d skipped lines", summary[0], toolLines, skippedLines)
	}
	t.Logf("%s", strings.TrimSpace(summary[0]))
}
