package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/openapi"
)

// Bounds of an import from the command line.
const (
	// importClientTimeout bounds the whole request: uploading the
	// document and the gateway's import (admin.ImportTimeout).
	importClientTimeout = admin.ImportTimeout + 3*time.Minute
	// importTickEvery is how often a running import says it still runs.
	importTickEvery = 5 * time.Second
)

var importOpenAPICommand = &command{
	name:    "import openapi",
	args:    "FILE|URL",
	summary: "Import an OpenAPI or Swagger document's operations as draft tools.",
	notes: `A FILE (JSON or YAML) is read here and uploaded; a URL is fetched by the
gateway, through its egress guard. Each selected operation becomes a draft
tool calling through the connection (created when it does not exist, with
the document's auth and no secrets). Importing again updates the drafts of
the same operations; published versions never change. Flags may follow
FILE|URL.`,
	define: func(fs *flag.FlagSet, c *cli) runner {
		settings := bindSettings(fs, c.getenv, clientSettings)
		connection := fs.String("connection", "", "the `NAME` of the connection the tools call through (required)")
		baseURL := fs.String("base-url", "", "the connection's base URL when it is created; defaults to the document's first server")
		var tags, operations, methods stringList
		fs.Var(&tags, "tag", "import the operations with this `TAG` (repeatable)")
		fs.Var(&operations, "operation", "import the operation with this `ID`: an operationId, or \"METHOD /path\" (repeatable)")
		fs.Var(&methods, "method", "import the operations of this HTTP `METHOD` (repeatable)")
		prefix := fs.String("prefix", "", `put this before every new tool's name ("gh_")`)
		dryRun := fs.Bool("dry-run", false, "report what the import would do and write nothing")
		return func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return usagef("usage: toolgate import openapi FILE|URL -connection NAME [-tag T]... [-operation ID]... [-method M]... [-prefix P] [-dry-run]")
			}
			if *connection == "" {
				return usagef("import openapi: -connection NAME is required: the connection the tools call through")
			}
			cfg, err := settings()
			if err != nil {
				return err
			}
			req := importRequest{
				Connection: admin.ImportConnection{Name: *connection, BaseURL: *baseURL},
				Include:    openapi.Include{Operations: operations, Tags: tags, Methods: methods},
				NamePrefix: *prefix,
				DryRun:     *dryRun,
			}
			im := &importer{client: newAdminClient(cfg), out: c.stdout}
			return im.run(ctx, args[0], &req)
		}
	},
}

// importRequest is the body of POST /v1/admin/imports/openapi: the
// document as a string (a file's JSON or YAML text), or its URL.
type importRequest struct {
	Spec       *string                `json:"spec,omitempty"`
	URL        string                 `json:"url,omitempty"`
	Connection admin.ImportConnection `json:"connection,omitzero"`
	Include    openapi.Include        `json:"include,omitzero"`
	NamePrefix string                 `json:"name_prefix,omitempty"`
	DryRun     bool                   `json:"dry_run,omitempty"`
}

// importer runs an import and prints its phases and report.
type importer struct {
	client *adminClient
	out    io.Writer
	start  time.Time
}

func (im *importer) printf(format string, args ...any) { fmt.Fprintf(im.out, format, args...) }

// since is the time since the import started, rounded for reading.
func (im *importer) since() string {
	d := time.Since(im.start)
	if d < time.Millisecond {
		return "under 1ms"
	}
	return d.Round(time.Millisecond).String()
}

func (im *importer) run(ctx context.Context, source string, req *importRequest) error {
	im.start = time.Now()
	if isURL(source) {
		req.URL = source
		im.printf("the gateway will fetch %s\n", source)
	} else {
		text, err := readDocument(source)
		if err != nil {
			return err
		}
		req.Spec = &text
		im.printf("read %s: %s (%s)\n", source, byteSize(len(text)), im.since())
	}
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	report, err := im.send(ctx, body)
	if err != nil {
		return im.explain(source, err)
	}
	im.printReport(report)
	return nil
}

// isURL reports whether an import's source is an http or https URL.
func isURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// readDocument reads an OpenAPI document, bounded as the gateway bounds it.
func readDocument(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, openapi.MaxDocumentBytes+1))
	if err != nil {
		return "", err
	}
	if len(data) > openapi.MaxDocumentBytes {
		return "", fmt.Errorf("%s is over %s, the most the gateway imports", path, byteSize(openapi.MaxDocumentBytes))
	}
	return string(data), nil
}

// send posts the import and says what happens meanwhile: the upload, then
// every importTickEvery that the gateway is still at it.
func (im *importer) send(ctx context.Context, body []byte) (*admin.ImportReport, error) {
	im.printf("uploading %s to %s\n", byteSize(len(body)), im.client.base)
	// say prints unless the answer came: then the report is printing.
	var mu sync.Mutex
	answered := false
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if !answered {
			im.printf(format, args...)
		}
	}
	uploaded := make(chan struct{})
	upload := &eofReader{data: body, onEOF: func() { close(uploaded) }}
	done := make(chan struct{})
	go func() {
		select {
		case <-uploaded:
		case <-done:
			return
		}
		say("uploaded (%s); the gateway is importing\n", im.since())
		tick := time.NewTicker(importTickEvery)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				say("still importing (%s)\n", time.Since(im.start).Round(time.Second))
			case <-done:
				return
			}
		}
	}()
	var report admin.ImportReport
	err := im.client.send(ctx, importClientTimeout, http.MethodPost, "/v1/admin/imports/openapi", upload, &report)
	mu.Lock()
	answered = true
	mu.Unlock()
	close(done)
	if err != nil {
		return nil, err
	}
	return &report, nil
}

// eofReader reads data and calls onEOF once when it has all been read:
// the request body is sent.
type eofReader struct {
	data  []byte
	off   int
	once  sync.Once
	onEOF func()
}

var _ sizedBody = (*eofReader)(nil)

func (r *eofReader) size() int64 { return int64(len(r.data)) }

// again is the body from its start, for the transport to send again.
func (r *eofReader) again() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(r.data)), nil
}

func (r *eofReader) Read(p []byte) (int, error) {
	if r.off >= len(r.data) {
		r.once.Do(r.onEOF)
		return 0, io.EOF
	}
	n := copy(p, r.data[r.off:])
	r.off += n
	return n, nil
}

// requestFlags names the flag behind each field of the import request.
var requestFlags = map[string]string{
	"spec": "FILE", "url": "URL", "connection.name": "-connection", "connection.base_url": "-base-url",
	"include.operations": "-operation", "include.tags": "-tag", "include.methods": "-method", "name_prefix": "-prefix",
}

// explain turns the gateway's refusal into what to fix.
func (im *importer) explain(source string, err error) error {
	var ae *apiError
	if !errors.As(err, &ae) {
		return err
	}
	if ae.Type == "invalid_document" {
		return fmt.Errorf("%s: %s", source, ae.Message)
	}
	if ae.status == http.StatusUnprocessableEntity {
		var lines []string
		for _, fe := range ae.fieldErrors() {
			if flagName := requestFlags[fe.Path]; flagName != "" {
				lines = append(lines, flagName+": "+fe.Message)
			} else if fe.Path != "" {
				lines = append(lines, fe.Path+": "+fe.Message)
			} else {
				lines = append(lines, fe.Message)
			}
		}
		return fmt.Errorf("the import was refused: %s", strings.Join(lines, "; "))
	}
	return err
}

// importActions are the plan symbols of the import's actions.
var importActions = map[string]string{
	admin.ImportCreated: "+", admin.ImportUpdated: "~", admin.ImportUnchanged: "=", admin.ImportReused: "=",
}

// printReport prints what the import did: the document, the connection,
// a line per tool (+ created, ~ updated, = unchanged) with its warnings,
// the skipped operations and why, and a summary.
func (im *importer) printReport(r *admin.ImportReport) {
	verb := "imported"
	if r.DryRun {
		verb = "dry run, nothing written"
	}
	im.printf("%s (%s): %q, OpenAPI %s\n", verb, im.since(), r.Document.Title, r.Document.Version)
	im.printf("%s connection %s: %s, %s\n", importActions[r.Connection.Action], r.Connection.Name, r.Connection.Action, r.Connection.BaseURL)
	for _, w := range r.Connection.Warnings {
		im.printf("    warning: %s: %s\n", w.Path, w.Message)
	}
	for _, w := range r.Warnings {
		im.printf("warning: %s: %s\n", w.Path, w.Message)
	}
	for _, t := range r.Tools {
		var notes []string
		if !t.Valid {
			notes = append(notes, "invalid: see its warnings")
		}
		if t.PublishedVersion > 0 {
			notes = append(notes, fmt.Sprintf("published version %d unchanged", t.PublishedVersion))
		}
		line := fmt.Sprintf("%s tool %s: %s %s", importActions[t.Action], t.Name, t.Method, t.Path)
		if len(notes) > 0 {
			line += " (" + strings.Join(notes, "; ") + ")"
		}
		im.printf("%s\n", line)
		for _, w := range t.Warnings {
			im.printf("    warning: %s: %s\n", w.Path, w.Message)
		}
	}
	for _, s := range r.Skipped {
		op := s.Method + " " + s.Path
		if s.OperationID != "" {
			op += " (" + s.OperationID + ")"
		}
		im.printf("skipped %s: %s\n", op, s.Reason)
	}
	sum := r.Summary
	im.printf("%s operations: %d imported (%d created, %d updated, %d unchanged), %d skipped; %s\n",
		fmt.Sprint(sum.Operations), sum.Imported, sum.Created, sum.Updated, sum.Unchanged, sum.Skipped, im.since())
	if !r.DryRun && sum.Imported > 0 {
		im.printf("the tools are drafts: validate and publish them (toolgate export, edit, toolgate apply -publish; or the console)\n")
	}
}

// byteSize is n bytes for reading: "812 B", "12.6 MB".
func byteSize(n int) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1000)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1000/1000)
}
