// Package agentapi is the API agents call with their key: list their tools
// in a provider's shape, call one, poll a background run, and run a model's
// batch of tool calls. Every call goes through package invoke.
package agentapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/invoke"
	"github.com/toolgate/toolgate/listing"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/tools"
)

// API is the agent API.
type API struct {
	Invoker  *invoke.Invoker
	Listings *listing.Cache
	Errors   httpapi.Errors
}

// Routes registers the agent routes on a group that already requires an
// agent key.
func (a *API) Routes(g *gin.RouterGroup) {
	h := a.Errors.Handle
	g.GET("/tools", h(a.listTools))
	g.POST("/tools/:name/call", h(a.callTool))
	g.GET("/runs/:id", h(a.getRun))
	g.POST("/tool-calls", h(a.batchToolCalls))
}

// listTools lists the agent's published tools in the format the query asks
// for (listing.FormatDefault when none): {"tools": [...]}, each with its
// execution description. It joins the renderings stored with the tool
// versions (no tool is prepared or converted), and the marshalled answer is
// cached per agent and format until the catalog reloads the agent's tools.
func (a *API) listTools(c *gin.Context) error {
	format := c.DefaultQuery("format", listing.FormatDefault)
	if !listing.IsFormat(format) {
		return problem.BadRequestf("format", "format must be one of %s", strings.Join(listing.Formats, ", "))
	}
	p := httpapi.Who(c)
	ctx := c.Request.Context()
	versions, err := a.Invoker.AgentToolVersions(ctx, p.WorkspaceID, p.AgentID)
	if err != nil {
		return err
	}
	body, err := a.Listings.Get(ctx, p.WorkspaceID, p.AgentID, format, versions)
	if err != nil {
		return err
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", body)
	return nil
}

// callRequest is the body of POST /v1/tools/{name}/call.
type callRequest struct {
	Arguments json.RawMessage `json:"arguments,omitempty"`
	Context   map[string]any  `json:"context,omitempty"`
	// Background overrides the tool's setting when the tool allows it.
	Background *bool `json:"background,omitempty"`
	// CallbackURL receives the result of a background run, signed.
	CallbackURL string `json:"callback_url,omitempty"`
	// ConfirmationToken runs a call of a tool with a confirm, once the
	// caller agreed: the token of its needs_confirmation answer.
	ConfirmationToken string `json:"confirmation_token,omitempty"`
}

// callTool runs one of the agent's tools: 200 with the result whenever the
// call got as far as sending (whatever the upstream said) and for a
// needs_confirmation answer (outcome needs_confirmation, with the message
// to read back and the token to call again with), 202 for a queued
// background run or one awaiting approval, 422 for invalid arguments, 429
// with Retry-After for a call a limit held back, 404 for a tool the agent
// does not have.
func (a *API) callTool(c *gin.Context) error {
	var req callRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	if !httpapi.IsObjectOrEmpty(req.Arguments) {
		return problem.BadRequestf("arguments", "arguments must be a JSON object")
	}
	p := httpapi.Who(c)
	res, err := a.Invoker.Call(c.Request.Context(), &invoke.Request{
		WorkspaceID: p.WorkspaceID, AgentID: p.AgentID, Tool: c.Param("name"),
		Arguments: req.Arguments, Context: req.Context, Background: req.Background,
		CallbackURL: req.CallbackURL, IdempotencyKey: c.GetHeader("Idempotency-Key"),
		ConfirmationToken: req.ConfirmationToken,
	})
	if err != nil {
		return err
	}
	if res.Outcome == tools.OutcomeRateLimited && res.RetryAfterMS > 0 {
		c.Header("Retry-After", strconv.FormatInt((res.RetryAfterMS+999)/1000, 10))
	}
	c.JSON(res.HTTPStatus(), res)
	return nil
}

// getRun shows an agent its own run; another agent's run is 404.
func (a *API) getRun(c *gin.Context) error {
	p := httpapi.Who(c)
	res, err := a.Invoker.AgentRun(c.Request.Context(), p.WorkspaceID, p.AgentID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, res)
	return nil
}
