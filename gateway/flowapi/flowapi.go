// Package flowapi is the runtime API of conversation flows, called with an
// agent's key: start a session of one of the agent's published flows, send
// it the user's messages, and read it with its history. Sessions run in
// package flows; every API call a flow makes is an ordinary run.
//
//	POST /v1/flows/{flow_name}/sessions
//	POST /v1/flows/sessions/{session_id}/messages
//	GET  /v1/flows/sessions/{session_id}
//
// A flow's name is free text, so it may be "sessions" or hold a "/"
// (escaped as %2F): the three routes are told apart here, from the escaped
// path, rather than by gin's router, which would send such names to the
// session routes or nowhere.
package flowapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/flows"
	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// API is the flows runtime API.
type API struct {
	Runner *flows.Runner
	Errors httpapi.Errors
}

// route is one endpoint: its method and path segments after /flows/, an
// empty segment standing for a parameter.
type route struct {
	method  string
	pattern []string
	handle  func(a *API, c *gin.Context, params []string) error
}

var routes = []route{
	{http.MethodPost, []string{"", "sessions"}, (*API).start},
	{http.MethodPost, []string{"sessions", "", "messages"}, (*API).send},
	{http.MethodGet, []string{"sessions", ""}, (*API).session},
}

// Routes registers the runtime routes on a group that already requires an
// agent key.
func (a *API) Routes(g *gin.RouterGroup) {
	prefix := strings.TrimSuffix(g.BasePath(), "/") + "/flows/"
	h := a.Errors.Handle(func(c *gin.Context) error { return a.dispatch(c, prefix) })
	g.GET("/flows/*path", h)
	g.POST("/flows/*path", h)
}

// dispatch finds the route of a request from its escaped path, so a
// parameter may hold any character.
func (a *API) dispatch(c *gin.Context, prefix string) error {
	rest, ok := strings.CutPrefix(c.Request.URL.EscapedPath(), prefix)
	if !ok {
		return problem.NotFoundf("route")
	}
	segments := strings.Split(rest, "/")
	for i, s := range segments {
		v, err := url.PathUnescape(s)
		if err != nil || v == "" {
			return problem.NotFoundf("route")
		}
		segments[i] = v
	}
	var allowed []string
	for _, r := range routes {
		params, ok := r.match(segments)
		if !ok {
			continue
		}
		if r.method == c.Request.Method {
			return r.handle(a, c, params)
		}
		allowed = append(allowed, r.method)
	}
	if len(allowed) == 0 {
		return problem.NotFoundf("route")
	}
	slices.Sort(allowed)
	c.Header("Allow", strings.Join(slices.Compact(allowed), ", "))
	httpapi.MethodNotAllowed(c)
	return nil
}

// match reports whether segments fit the route, returning its parameters.
func (r route) match(segments []string) ([]string, bool) {
	if len(segments) != len(r.pattern) {
		return nil, false
	}
	var params []string
	for i, p := range r.pattern {
		switch {
		case p == "":
			params = append(params, segments[i])
		case p != segments[i]:
			return nil, false
		}
	}
	return params, true
}

// startRequest is the body of POST /v1/flows/{flow_name}/sessions.
type startRequest struct {
	// Context is the caller context: user_id (required), channel,
	// conversation_id.
	Context json.RawMessage `json:"context"`
	// Variables are the session's first variables.
	Variables json.RawMessage `json:"variables,omitempty"`
	// Message is the user's message that started the conversation.
	Message string `json:"message,omitempty"`
}

// start starts a session of the agent's flow and runs its first turn: 201
// with the turn.
func (a *API) start(c *gin.Context, params []string) error {
	var req startRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	callerCtx, err := object("context", req.Context)
	if err != nil {
		return err
	}
	vars, err := object("variables", req.Variables)
	if err != nil {
		return err
	}
	p := httpapi.Who(c)
	turn, err := a.Runner.Start(c.Request.Context(), flows.StartParams{WorkspaceID: p.WorkspaceID, AgentID: p.AgentID,
		Flow: params[0], Context: callerCtx, Variables: vars, Message: req.Message})
	if err != nil {
		return problemOf(err, "flow")
	}
	c.JSON(http.StatusCreated, turn)
	return nil
}

// messageRequest is the body of POST /v1/flows/sessions/{id}/messages.
type messageRequest struct {
	Text *string `json:"text"`
}

// send applies the user's message to the session: 200 with the turn.
func (a *API) send(c *gin.Context, params []string) error {
	var req messageRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	if req.Text == nil {
		return problemOf(&flows.RequestError{Field: "text", Message: "is required: the user's message"}, "")
	}
	p := httpapi.Who(c)
	turn, err := a.Runner.Send(c.Request.Context(), p.WorkspaceID, p.AgentID, params[0], *req.Text)
	if err != nil {
		return problemOf(err, "flow session")
	}
	c.JSON(http.StatusOK, turn)
	return nil
}

// session returns the agent's session with its history.
func (a *API) session(c *gin.Context, params []string) error {
	p := httpapi.Who(c)
	s, err := a.Runner.Session(c.Request.Context(), p.WorkspaceID, p.AgentID, params[0])
	if err != nil {
		return problemOf(err, "flow session")
	}
	c.JSON(http.StatusOK, s)
	return nil
}

// object decodes an optional JSON object of a request, numbers exact.
func object(field string, raw json.RawMessage) (map[string]any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] != '{' {
		return nil, problem.BadRequestf(field, "%s must be a JSON object", field)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, problem.FromJSON(err)
	}
	return m, nil
}

// problemOf turns the runtime's errors into problems: a missing flow or
// session (what) is NotFound; a flow never published, or a session that
// ended, is a Conflict (the request is fine, the object is not in a state
// to take it); a refused request is Invalid, naming its field.
func problemOf(err error, what string) error {
	if _, ok := problem.As(err); ok {
		return err
	}
	var re *flows.RequestError
	switch {
	case errors.As(err, &re):
		return &problem.Error{Kind: problem.Invalid, Message: re.Field + " " + re.Message,
			Details: []tools.FieldError{{Path: re.Field, Message: re.Message}}}
	case errors.Is(err, flows.ErrNotPublished):
		return &problem.Error{Kind: problem.Conflict, Type: "flow_not_published", Message: flows.ErrNotPublished.Error(), Err: err}
	case errors.Is(err, flows.ErrSessionClosed):
		return &problem.Error{Kind: problem.Conflict, Type: "session_closed", Message: flows.ErrSessionClosed.Error(), Err: err}
	case errors.Is(err, store.ErrNotFound):
		return &problem.Error{Kind: problem.NotFound, Message: what + " not found", Err: err}
	}
	return err
}
