package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tenant"
)

// maxBodyBytes bounds a POSTed JSON-RPC message.
const maxBodyBytes = 4 << 20

// Methods the SDK serves; toolgate serves the tasks methods and answers
// any other method with -32601 (toolgate offers no prompts, resources,
// completions or logging).
const (
	methodInitialize = "initialize"
	methodPing       = "ping"
	methodToolsList  = "tools/list"
	methodToolsCall  = "tools/call"
)

var sdkMethods = map[string]bool{methodInitialize: true, methodPing: true, methodToolsList: true, methodToolsCall: true}

// servePOST takes one JSON-RPC message: an initialize opens a session;
// anything else needs the session it names.
func (g *Server) servePOST(w http.ResponseWriter, r *http.Request, p *tenant.Principal, a *mcpAgent) {
	ctx := r.Context()
	if mediaType(r.Header.Get("Content-Type")) != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, nil, &rpcError{Code: codeBadRequest, Message: "Unsupported Media Type: Content-Type must be application/json"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, nil, &rpcError{Code: codeBadRequest, Message: "Payload Too Large: a message is at most 4 MiB"})
			return
		}
		writeError(w, http.StatusBadRequest, nil, &rpcError{Code: codeBadRequest, Message: "Bad Request: the body could not be read"})
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if isBatch(body) {
		g.serveBatch(w, r, p, a)
		return
	}
	msg, perr := parseMessage(body)
	if perr != nil {
		var id json.RawMessage
		if msg != nil {
			id = msg.ID
		}
		writeError(w, http.StatusBadRequest, id, perr)
		return
	}
	rc := &requestContext{principal: p, agent: a}
	if msg.isCall() {
		rc.requestID = string(msg.ID)
	}
	if msg.Method == methodInitialize && msg.isCall() {
		// A new session; its row is written by the initialize middleware,
		// before the answer (and so the session ID) reaches the client.
		rc.initialize = newSessionID()
		w.Header().Set(headerSessionID, rc.initialize)
		g.sweepIdle(ctx)
		g.serveSDK(w, r, rc)
		return
	}
	sess, ok := g.requireSession(w, r, p, msg.ID)
	if !ok {
		return
	}
	rc.session = sess
	switch {
	case msg.isResponse():
		// toolgate sends clients no requests: nothing awaits an answer.
		w.WriteHeader(http.StatusAccepted)
	case !msg.isCall():
		g.notification(ctx, sess, msg)
		w.WriteHeader(http.StatusAccepted)
	case msg.Method == methodToolsCall && g.invoker.Queues() && hasTask(msg.Params):
		g.createTask(w, r, rc, msg)
	case strings.HasPrefix(msg.Method, "tasks/") && taskMethods[msg.Method] != nil:
		g.serveTaskMethod(w, r, rc, msg)
	case sdkMethods[msg.Method]:
		g.serveSDK(w, r, rc)
	default:
		writeError(w, http.StatusOK, msg.ID, &rpcError{Code: codeMethodNotFound, Message: "Method not found: " + truncate(msg.Method, 100)})
	}
}

// serveBatch passes a JSON-RPC batch (protocol versions before 2025-06-18)
// to the SDK, within its session.
func (g *Server) serveBatch(w http.ResponseWriter, r *http.Request, p *tenant.Principal, a *mcpAgent) {
	sess, ok := g.requireSession(w, r, p, nil)
	if !ok {
		return
	}
	g.serveSDK(w, r, &requestContext{principal: p, agent: a, session: sess})
}

// requireSession returns the session a request names, or answers 400 (no
// Mcp-Session-Id) or 404 (no such session of this key).
func (g *Server) requireSession(w http.ResponseWriter, r *http.Request, p *tenant.Principal, id json.RawMessage) (*store.MCPSession, bool) {
	sid := r.Header.Get(headerSessionID)
	if sid == "" {
		writeError(w, http.StatusBadRequest, id, &rpcError{Code: codeBadRequest,
			Message: "Bad Request: Mcp-Session-Id header is required; send initialize first to open a session"})
		return nil, false
	}
	sess, err := g.session(r.Context(), p, sid)
	if errors.Is(err, errSessionNotFound) {
		writeError(w, http.StatusNotFound, id, &rpcError{Code: codeSessionNotFound,
			Message: "Session not found: it ended or expired; send initialize to open a new one"})
		return nil, false
	}
	if err != nil {
		g.log.ErrorContext(r.Context(), "reading an MCP session", slog.Any("err", err))
		writeError(w, http.StatusInternalServerError, id, &rpcError{Code: codeInternalError, Message: "Internal error"})
		return nil, false
	}
	return sess, true
}

// serveSDK hands a request to the stateless SDK handler, with the
// session's protocol version when the client did not send one, and makes
// it cancellable by the client's notifications/cancelled.
func (g *Server) serveSDK(w http.ResponseWriter, r *http.Request, rc *requestContext) {
	ctx, cancel := context.WithCancel(context.WithValue(r.Context(), requestKey{}, rc))
	defer cancel()
	rc.cancelled = ctx
	if rc.session != nil {
		if r.Header.Get(headerProtocolVersion) == "" {
			r.Header.Set(headerProtocolVersion, rc.session.ProtocolVersion)
		}
		if id := rc.requestID; id != "" {
			done := g.inflight.add(rc.session.ID, id, cancel)
			defer done()
		}
	}
	g.sdk.ServeHTTP(w, r.WithContext(ctx))
}

// notification takes a client's notification: notifications/initialized
// is recorded in the session, notifications/cancelled cancels the request
// if it runs on this replica; others are ignored.
func (g *Server) notification(ctx context.Context, sess *store.MCPSession, msg *rpcMessage) {
	switch msg.Method {
	case "notifications/initialized":
		if err := g.markInitialized(ctx, sess); err != nil {
			g.log.WarnContext(ctx, "recording an initialized MCP session", slog.Any("err", err))
		}
	case "notifications/cancelled":
		var params struct {
			RequestID json.RawMessage `json:"requestId"`
		}
		if json.Unmarshal(msg.Params, &params) == nil && params.RequestID != nil {
			g.inflight.cancel(sess.ID, string(params.RequestID))
		}
	}
}

// serveGET opens the session's standalone SSE stream.
func (g *Server) serveGET(w http.ResponseWriter, r *http.Request, p *tenant.Principal) {
	if !acceptsEventStream(r.Header.Values("Accept")) {
		writeError(w, http.StatusNotAcceptable, nil, &rpcError{Code: codeBadRequest, Message: "Not Acceptable: a GET must accept text/event-stream"})
		return
	}
	sess, ok := g.requireSession(w, r, p, nil)
	if !ok {
		return
	}
	g.serveStream(w, r, p, sess)
}

// serveDELETE ends the session everywhere.
func (g *Server) serveDELETE(w http.ResponseWriter, r *http.Request, p *tenant.Principal) {
	sess, ok := g.requireSession(w, r, p, nil)
	if !ok {
		return
	}
	if err := g.endSession(r.Context(), sess); err != nil {
		g.log.ErrorContext(r.Context(), "ending an MCP session", slog.Any("err", err))
		writeError(w, http.StatusInternalServerError, nil, &rpcError{Code: codeInternalError, Message: "Internal error"})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func mediaType(v string) string {
	base, _, _ := strings.Cut(v, ";")
	return strings.ToLower(strings.TrimSpace(base))
}

func acceptsEventStream(values []string) bool {
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			switch mediaType(part) {
			case "text/event-stream", "text/*", "*/*":
				return true
			}
		}
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// inflight are the requests running on this replica, by session and
// request ID, so that notifications/cancelled can stop them.
type inflight struct {
	mu      sync.Mutex
	cancels map[string]context.CancelFunc
}

func (f *inflight) add(sessionID, requestID string, cancel context.CancelFunc) (done func()) {
	key := sessionID + "\x00" + requestID
	f.mu.Lock()
	if f.cancels == nil {
		f.cancels = map[string]context.CancelFunc{}
	}
	f.cancels[key] = cancel
	f.mu.Unlock()
	return func() {
		f.mu.Lock()
		delete(f.cancels, key)
		f.mu.Unlock()
	}
}

func (f *inflight) cancel(sessionID, requestID string) {
	f.mu.Lock()
	cancel := f.cancels[sessionID+"\x00"+requestID]
	f.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}
