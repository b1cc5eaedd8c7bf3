// Package voiceapi serves voice platforms' webhooks at
// /v1/adapters/{platform}/{agent_id}[/{tool}] and the export of an agent's
// tools for a platform; everything platform-specific is in package voice.
package voiceapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/voice"
)

// API serves the voice adapters.
type API struct {
	Voice *voice.Service
	// PublicURL is where platforms reach the gateway; defaults to the
	// request's own host.
	PublicURL string
	Errors    httpapi.Errors
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
}

// Routes registers the webhook routes; they authenticate with the
// platforms' own credentials, not with toolgate keys.
func (a *API) Routes(r gin.IRoutes) {
	r.POST("/v1/adapters/:platform/:agent_id", a.Errors.Handle(a.webhook))
	r.POST("/v1/adapters/:platform/:agent_id/:tool", a.Errors.Handle(a.webhook))
}

// AdminRoutes registers the export on a group that requires an admin key.
func (a *API) AdminRoutes(g *gin.RouterGroup) {
	g.GET("/agents/:id/export/:platform", a.Errors.Handle(a.export))
}

func (a *API) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *API) webhook(c *gin.Context) error {
	body, err := httpapi.ReadBody(c)
	if err != nil {
		return err
	}
	resp, err := a.Voice.Handle(c.Request.Context(), c.Param("platform"), c.Param("agent_id"), &voice.Request{
		Body: body, Header: c.Request.Header, Query: c.Request.URL.Query(), Tool: c.Param("tool"), Now: a.now(),
	})
	if err != nil {
		return err
	}
	c.Data(resp.Status, resp.ContentType, resp.Body)
	return nil
}

// export answers GET /v1/admin/agents/{id}/export/{platform}: the agent's
// published tools as the platform's tool definitions, each pointing at the
// adapter URL, ready to paste into the platform's dashboard or POST to its
// API. Secrets are never included.
func (a *API) export(c *gin.Context) error {
	base := strings.TrimSuffix(a.PublicURL, "/")
	if base == "" {
		base = PublicBaseURL(c.Request)
	}
	out, err := a.Voice.Export(c.Request.Context(), httpapi.Who(c).WorkspaceID, c.Param("id"), c.Param("platform"), base)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// PublicBaseURL is the scheme and host clients reach this server at, as
// the request says (X-Forwarded-Proto and X-Forwarded-Host from a proxy in
// front win). The export is an admin request, so the headers are the
// admin's own.
func PublicBaseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if v := firstHeaderValue(r.Header.Get("X-Forwarded-Proto")); v == "http" || v == "https" {
		scheme = v
	}
	host := r.Host
	if v := firstHeaderValue(r.Header.Get("X-Forwarded-Host")); v != "" && !strings.ContainsAny(v, "/ \\@?#") {
		host = v
	}
	return scheme + "://" + host
}

func firstHeaderValue(v string) string {
	first, _, _ := strings.Cut(v, ",")
	return strings.ToLower(strings.TrimSpace(first))
}
