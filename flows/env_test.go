package flows_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/toolgate/toolgate/background"
	"github.com/toolgate/toolgate/egress"
	"github.com/toolgate/toolgate/flows"
	"github.com/toolgate/toolgate/invoke"
	"github.com/toolgate/toolgate/secrets"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/postgres"
	"github.com/toolgate/toolgate/store/testdb"
	"github.com/toolgate/toolgate/tenant"
	"github.com/toolgate/toolgate/tools"
)

// storeLookup answers validation from the store.
type storeLookup struct {
	store       store.Store
	workspaceID string
}

func (l storeLookup) ConnectionExists(ctx context.Context, name string) (bool, error) {
	_, err := l.store.ConnectionGetByName(ctx, l.workspaceID, name)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (l storeLookup) ToolPublished(ctx context.Context, name string) (bool, error) {
	t, err := l.store.ToolGetByName(ctx, l.workspaceID, name)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil && t.Version > 0, err
}

// received is one request the upstream got.
type received struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// upstream is the backend of the seeds' examples, on loopback.
type upstream struct {
	srv *httptest.Server
	// requests gets every request but the analytics events, in order.
	requests chan received
	// events gets the analytics events (fire and forget).
	events chan received
}

func newUpstream(t *testing.T) *upstream {
	u := &upstream{requests: make(chan received, 64), events: make(chan received, 64)}
	mux := http.NewServeMux()
	record := func(r *http.Request) received {
		body, _ := io.ReadAll(r.Body)
		rec := received{Method: r.Method, Path: r.URL.EscapedPath(), Header: r.Header.Clone(), Body: body}
		if r.URL.Path == "/analytics/events" {
			u.events <- rec
		} else {
			u.requests <- rec
		}
		return rec
	}
	writeJSON := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /api/orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		record(r)
		switch r.PathValue("id") {
		case "AB1234":
			writeJSON(w, 200, map[string]any{"status": "in_transit", "eta": "2026-06-01", "carrier": "DHL",
				"address": map[string]any{"city": "Dar es Salaam"}, "items": []any{map[string]any{"id": "SKU-1"}}})
		case "DL0001":
			writeJSON(w, 200, map[string]any{"status": "delayed", "eta": "2026-07-01", "carrier": "DHL"})
		case "ECHO01":
			// An upstream that echoes the credential it was sent.
			writeJSON(w, 200, map[string]any{"status": "in_transit", "eta": r.Header.Get("Authorization")})
		default:
			writeJSON(w, 404, map[string]any{"error": "no such order"})
		}
	})
	mux.HandleFunc("POST /api/tickets", func(w http.ResponseWriter, r *http.Request) {
		record(r)
		writeJSON(w, 201, map[string]any{"id": "T-77", "reference": "REF-2026-77"})
	})
	mux.HandleFunc("PATCH /api/users/{id}/preferences", func(w http.ResponseWriter, r *http.Request) {
		record(r)
		writeJSON(w, 200, map[string]any{"saved": true})
	})
	mux.HandleFunc("DELETE /api/subscriptions/{id}", func(w http.ResponseWriter, r *http.Request) {
		record(r)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /analytics/events", func(w http.ResponseWriter, r *http.Request) {
		record(r)
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("GET /api/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		record(r)
		if r.PathValue("code") == "hang" {
			<-r.Context().Done() // until the caller's timeout gives up
			return
		}
		var code int
		_, _ = fmt.Sscan(r.PathValue("code"), &code)
		writeJSON(w, code, map[string]any{"code": code})
	})
	mux.HandleFunc("POST /api/counter", func(w http.ResponseWriter, r *http.Request) {
		rec := record(r)
		var body struct {
			Variables struct {
				Counter struct {
					Value int `json:"value"`
				} `json:"counter"`
			} `json:"variables"`
		}
		_ = json.Unmarshal(rec.Body, &body)
		writeJSON(w, 200, map[string]any{"value": body.Variables.Counter.Value + 1})
	})
	u.srv = httptest.NewServer(mux)
	t.Cleanup(u.srv.Close)
	return u
}

// next returns the next request the upstream got (other than events).
func (u *upstream) next(t *testing.T) received {
	t.Helper()
	select {
	case r := <-u.requests:
		return r
	case <-t.Context().Done():
		t.Fatal("the upstream got no request")
	}
	return received{}
}

// env is a workspace with an agent, connections to the upstream, a real
// engine and recorder, and a Runner.
type env struct {
	t        *testing.T
	store    store.Store
	ws       *store.Workspace
	agent    *store.Agent
	up       *upstream
	caller   flows.Caller
	programs *flows.Programs
	recorder *tools.Recorder
	runner   *flows.Runner
}

const backendToken = "tok-backend-5e3f9a"

// newEnv builds an env on st.
func newEnv(t *testing.T, st store.Store) *env {
	ctx := t.Context()
	box, err := secrets.NewBox(bytes.Repeat([]byte{7}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	ws, err := tenant.Create(ctx, st, box, "acme")
	if err != nil {
		t.Fatalf("tenant.Create: %v", err)
	}
	agent := &store.Agent{ID: store.NewID(), WorkspaceID: ws.ID, Name: "support-bot", Tools: []store.AgentTool{{Name: "get_order"}},
		CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := st.AgentInsert(ctx, agent); err != nil {
		t.Fatalf("AgentInsert: %v", err)
	}
	up := newUpstream(t)
	for name, base := range map[string]string{"my_backend": up.srv.URL + "/api", "analytics": up.srv.URL + "/analytics"} {
		sc := &store.Connection{ID: store.NewID(), WorkspaceID: ws.ID, Name: name, BaseURL: base,
			Auth: json.RawMessage(`{"type": "bearer"}`), CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := tools.SealSecrets(box, sc, map[string]string{"token": backendToken}); err != nil {
			t.Fatal(err)
		}
		if err := st.ConnectionInsert(ctx, sc); err != nil {
			t.Fatalf("ConnectionInsert: %v", err)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rec := tools.NewRecorder(tools.RecorderConfig{Store: st, Logger: log})
	rec.Start()
	client := egress.New(egress.Config{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	engine := tools.NewEngine(tools.EngineConfig{Client: client, Recorder: rec, Logger: log})
	// API calls go through the gateway's own invoker, fire-and-forget ones
	// through a real background queue.
	programs := flows.NewPrograms(st, 0)
	queue, err := background.New(ctx, background.Config{Store: st, Client: client, Box: box, Workers: 4, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	iv, err := invoke.New(invoke.Config{Store: st, Engine: engine, Catalog: tools.NewCatalog(tools.CatalogConfig{Store: st, Box: box}),
		Queue: queue, FlowPrograms: programs, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := queue.Start(context.WithoutCancel(ctx), iv); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = queue.Stop(sctx)
		rec.Stop()
		client.CloseIdleConnections()
	})
	e := &env{t: t, store: st, ws: ws, agent: agent, up: up, caller: iv.FlowCaller(), programs: programs, recorder: rec}
	e.runner = e.newRunner(st)
	return e
}

// newRunner returns a Runner on st (another replica when st is another
// store on the same database).
func (e *env) newRunner(st store.Store) *flows.Runner {
	return flows.NewRunner(flows.RunnerConfig{Store: st, Caller: e.caller, Programs: e.programs,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// publish creates the agent's flow, checks that it validates without
// errors, and publishes it.
func (e *env) publish(name, definition string) *store.Flow {
	e.t.Helper()
	ctx := e.t.Context()
	report, err := flows.ValidateJSON(ctx, []byte(definition), storeLookup{e.store, e.ws.ID})
	if err != nil {
		e.t.Fatalf("ValidateJSON(%s): %v", name, err)
	}
	if !report.Valid {
		e.t.Fatalf("flow %s does not validate: %+v", name, report.Errors)
	}
	f := &store.Flow{ID: store.NewID(), WorkspaceID: e.ws.ID, AgentID: e.agent.ID, Name: name,
		Definition: json.RawMessage(definition), CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := e.store.FlowInsert(ctx, f); err != nil {
		e.t.Fatalf("FlowInsert(%s): %v", name, err)
	}
	v, err := e.store.FlowPublish(ctx, e.ws.ID, e.agent.ID, f.ID, time.Now())
	if err != nil {
		e.t.Fatalf("FlowPublish(%s): %v", name, err)
	}
	f.Version = v.Version
	return f
}

// start starts a session of the flow for user u-1 on WhatsApp.
func (e *env) start(flow string, variables map[string]any, message string) *flows.Turn {
	e.t.Helper()
	turn, err := e.runner.Start(e.t.Context(), flows.StartParams{WorkspaceID: e.ws.ID, AgentID: e.agent.ID, Flow: flow,
		Context: map[string]any{"user_id": "+255700000001", "channel": "whatsapp"}, Variables: variables, Message: message})
	if err != nil {
		e.t.Fatalf("Start(%s): %v", flow, err)
	}
	return turn
}

// send sends text to the session.
func (e *env) send(sessionID, text string) *flows.Turn {
	e.t.Helper()
	turn, err := e.runner.Send(e.t.Context(), e.ws.ID, e.agent.ID, sessionID, text)
	if err != nil {
		e.t.Fatalf("Send(%q): %v", text, err)
	}
	return turn
}

// run returns a stored run, after the recorder wrote what it has.
func (e *env) run(id string) *store.Run {
	e.t.Helper()
	if err := e.recorder.Flush(e.t.Context()); err != nil {
		e.t.Fatalf("Flush: %v", err)
	}
	r, err := e.store.RunGet(e.t.Context(), e.ws.ID, id)
	if err != nil {
		e.t.Fatalf("RunGet(%s): %v", id, err)
	}
	return r
}

// eachStore runs f on a fresh SQLite store and a fresh PostgreSQL schema.
// open returns another store on the same database (a second replica; the
// same store for SQLite, which one server owns).
func eachStore(t *testing.T, f func(t *testing.T, st store.Store, open func() store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		st := testdb.SQLite(t)
		f(t, st, func() store.Store { return st })
	})
	t.Run("postgres", func(t *testing.T) {
		url := testdb.PostgresURL(t)
		open := func() store.Store {
			st, err := postgres.Open(context.Background(), url)
			if err != nil {
				t.Fatalf("opening PostgreSQL store: %v", err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}
		f(t, open(), open)
	})
}
