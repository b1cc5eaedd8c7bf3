package adminapi

import (
	"errors"
	"html/template"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/oauth"
	"github.com/toolgate/toolgate/problem"
)

// callbackPage is the small page the admin's browser lands on.
var callbackPage = template.Must(template.New("callback").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>toolgate: {{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem}</style></head>
<body><h1>{{.Title}}</h1><p>{{.Message}}</p>{{if .Detail}}<p><code>{{.Detail}}</code></p>{{end}}
<p>You can close this window.</p></body></html>
`))

type callbackView struct {
	Title, Message, Detail string
}

// OAuthCallback finishes an authorization: GET /v1/oauth/callback?code&state.
// It needs no key: the single-use state authenticates the request.
func (a *API) OAuthCallback(c *gin.Context) {
	q := c.Request.URL.Query()
	res, err := a.Admin.Connections.OAuthCallback(c.Request.Context(), oauth.CallbackParams{
		State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error"), ErrorDescription: q.Get("error_description"),
	})
	if problem.Is(err, problem.NotImplemented) {
		a.Errors.Write(c, err)
		return
	}
	name := "the connection"
	if res != nil {
		name = "connection " + res.ConnectionName
	}
	status, view := http.StatusOK, callbackView{Title: "Connected", Message: name + " is connected."}
	var pe *oauth.ProviderError
	var te *oauth.TokenEndpointError
	switch {
	case err == nil:
	case errors.Is(err, oauth.ErrInvalidState):
		status, view = http.StatusBadRequest, callbackView{Title: "Not connected", Message: oauth.ErrInvalidState.Error()}
	case errors.As(err, &pe):
		status, view = http.StatusBadRequest, callbackView{Title: "Not connected",
			Message: "The provider did not authorize " + name + ".", Detail: pe.Error()}
	case errors.As(err, &te):
		status, view = http.StatusBadGateway, callbackView{Title: "Not connected",
			Message: "The provider refused to exchange the code for " + name + ".", Detail: te.Error()}
	default:
		a.Errors.Log.ErrorContext(c.Request.Context(), "oauth callback failed", "err", err)
		status, view = http.StatusInternalServerError, callbackView{Title: "Not connected",
			Message: "Something went wrong while connecting " + name + "; see the gateway's log."}
	}
	h := c.Writer.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	c.Status(status)
	_ = callbackPage.Execute(c.Writer, view)
}
