package gateway

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// The admin console: server-rendered pages at /ui over the same store and
// engine logic as the admin API, for a person signed in with an admin key.
// Pages are html/template (contextual escaping) and embedded; the one
// script is a small hand-written file. Every state-changing route is a POST
// carrying the session's CSRF token.

//go:embed ui/templates/*.tmpl
var uiTemplateFS embed.FS

//go:embed ui/static
var uiStaticFS embed.FS

// uiPages are the page templates; each is parsed with the layout.
var uiPages = []string{"signin", "error", "runs", "run", "conversation", "tools", "tool", "connections", "agents", "agent"}

// uiTemplates holds one parsed template set per page, parsed once.
var uiTemplates = mustParseUITemplates()

func mustParseUITemplates() map[string]*template.Template {
	out := make(map[string]*template.Template, len(uiPages))
	for _, name := range uiPages {
		t := template.New(name).Funcs(uiFuncs)
		out[name] = template.Must(t.ParseFS(uiTemplateFS, "ui/templates/layout.tmpl", "ui/templates/partials.tmpl", "ui/templates/"+name+".tmpl"))
	}
	return out
}

// uiPage is what every page template receives.
type uiPage struct {
	Title string
	// Nav names the active section.
	Nav string
	// CSRF is the token every form carries.
	CSRF string
	// SignedIn hides the navigation on the sign-in page.
	SignedIn bool
	Data     any
}

// uiRoutes mounts the admin console at /ui.
func (s *Server) uiRoutes(r *gin.Engine) {
	static, _ := fs.Sub(uiStaticFS, "ui/static")
	staticServer := http.StripPrefix("/ui/static/", http.FileServer(http.FS(static)))
	r.GET("/ui/static/*file", func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=300")
		c.Header("X-Content-Type-Options", "nosniff")
		staticServer.ServeHTTP(c.Writer, c.Request)
	})
	r.GET("/ui", func(c *gin.Context) { c.Redirect(http.StatusSeeOther, "/ui/runs") })

	pub := r.Group("/ui", uiSecurityHeaders)
	pub.GET("/signin", s.uiHandle(s.uiSignInForm))
	pub.POST("/signin", s.uiHandle(s.uiSignIn))

	ui := r.Group("/ui", uiSecurityHeaders, s.uiAuthenticate)
	ui.POST("/signout", s.uiHandle(s.uiSignOut))

	ui.GET("/runs", s.uiHandle(s.uiRuns))
	ui.GET("/runs-rows", s.uiHandle(s.uiRunRows))
	ui.GET("/runs/:id", s.uiHandle(s.uiRun))
	ui.POST("/runs/:id/replay", s.uiHandle(s.uiReplay))
	ui.GET("/conversations/:id", s.uiHandle(s.uiConversation))

	ui.GET("/tools", s.uiHandle(s.uiTools))
	ui.POST("/tools", s.uiHandle(s.uiCreateTool))
	ui.GET("/tools/:id", s.uiHandle(s.uiTool))
	ui.POST("/tools/:id", s.uiHandle(s.uiUpdateTool))
	ui.POST("/tools/:id/publish", s.uiHandle(s.uiPublishTool))
	ui.POST("/tools/:id/try", s.uiHandle(s.uiTryTool))

	ui.GET("/connections", s.uiHandle(s.uiConnections))
	ui.POST("/connections/:id/connect", s.uiHandle(s.uiConnect))

	ui.GET("/agents", s.uiHandle(s.uiAgents))
	ui.GET("/agents/:id", s.uiHandle(s.uiAgent))
	ui.POST("/agents/:id/keys", s.uiHandle(s.uiCreateAgentKey))
	ui.POST("/agents/:id/keys/:key/revoke", s.uiHandle(s.uiRevokeAgentKey))
}

// uiSecurityHeaders keeps pages out of frames and caches and allows only
// this origin's script and style.
func uiSecurityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	c.Next()
}

// uiHandle adapts a page handler: an error becomes the error page (or, for
// a signed-out GET, a redirect to the sign-in page).
func (s *Server) uiHandle(h handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			s.uiError(c, err)
		}
	}
}

// uiErrorData is the error page's content.
type uiErrorData struct {
	Status  int
	Message string
	Details []uiDetail
}

// uiDetail is one line of an error's details (a field and its problem).
type uiDetail struct{ Path, Message string }

func (s *Server) uiError(c *gin.Context, err error) {
	he := toHTTPError(err)
	if he.Status >= 500 {
		s.log.ErrorContext(c.Request.Context(), "console request failed", slog.String("path", c.FullPath()), slog.Any("err", err))
	}
	data := uiErrorData{Status: he.Status, Message: he.Message, Details: errorDetails(he.Details)}
	page := uiPage{Title: http.StatusText(he.Status), Data: data}
	if sess := uiSessionOf(c); sess != nil {
		page.CSRF, page.SignedIn = sess.CSRFToken, true
	}
	s.uiRender(c, he.Status, "error", page)
	c.Abort()
}

// errorDetails flattens an HTTPError's details for display.
func errorDetails(details any) []uiDetail {
	switch d := details.(type) {
	case []uiDetail:
		return d
	case map[string]string:
		var out []uiDetail
		for k, v := range d {
			out = append(out, uiDetail{Path: k, Message: v})
		}
		return out
	}
	return fieldErrorDetails(details)
}

// uiRender executes a page into a buffer first, so a failing template
// never sends half a page.
func (s *Server) uiRender(c *gin.Context, status int, name string, page uiPage) {
	s.uiRenderTemplate(c, status, name, "layout", page)
}

// uiRenderTemplate executes one named template of a page's set.
func (s *Server) uiRenderTemplate(c *gin.Context, status int, page, tmpl string, data any) {
	var buf bytes.Buffer
	if err := uiTemplates[page].ExecuteTemplate(&buf, tmpl, data); err != nil {
		s.log.ErrorContext(c.Request.Context(), "rendering console page", slog.String("page", page), slog.Any("err", err))
		c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("internal error"))
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// uiFormValue returns a trimmed form value.
func uiFormValue(c *gin.Context, name string) string {
	return strings.TrimSpace(c.PostForm(name))
}
