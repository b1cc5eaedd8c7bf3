package console

// Package console is the admin console: server-rendered pages at /ui over
// the same admin use cases as the REST API (package admin), for a person
// signed in with an admin key. Pages are html/template (contextual
// escaping) and embedded; the one script is a small hand-written file.
// Every state-changing route is a POST carrying the session's CSRF token.
import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/tools"
)

// Console is the admin console.
type Console struct {
	Admin *admin.Service
	// PublicURL is where people reach the gateway; an https URL makes the
	// cookies Secure.
	PublicURL string
	Log       *slog.Logger
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
}

func (u *Console) now() time.Time {
	if u.Now != nil {
		return u.Now()
	}
	return time.Now()
}

//go:embed ui/templates/*.tmpl
var uiTemplateFS embed.FS

//go:embed ui/static
var uiStaticFS embed.FS

// uiPages are the page templates; each is parsed with the layout.
var uiPages = []string{"signin", "error", "runs", "run", "conversation", "tools", "tool", "connections", "agents", "agent", "approvals",
	"dashboard", "connection", "confirm", "keys"}

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

// Routes mounts the admin console at /ui.
func (u *Console) Routes(r *gin.Engine) {
	static, _ := fs.Sub(uiStaticFS, "ui/static")
	staticServer := http.StripPrefix("/ui/static/", http.FileServer(http.FS(static)))
	r.GET("/ui/static/*file", func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=300")
		c.Header("X-Content-Type-Options", "nosniff")
		staticServer.ServeHTTP(c.Writer, c.Request)
	})
	r.GET("/ui", func(c *gin.Context) { c.Redirect(http.StatusSeeOther, "/ui/runs") })

	pub := r.Group("/ui", uiSecurityHeaders)
	pub.GET("/signin", u.uiHandle(u.uiSignInForm))
	pub.POST("/signin", u.uiHandle(u.uiSignIn))

	ui := r.Group("/ui", uiSecurityHeaders, u.uiAuthenticate)
	ui.POST("/signout", u.uiHandle(u.uiSignOut))

	ui.GET("/dashboard", u.uiHandle(u.uiDashboard))
	ui.GET("/runs", u.uiHandle(u.uiRuns))
	ui.GET("/runs-rows", u.uiHandle(u.uiRunRows))
	ui.GET("/runs/:id", u.uiHandle(u.uiRun))
	ui.POST("/runs/:id/replay", u.uiHandle(u.uiReplay))
	ui.GET("/conversations/:id", u.uiHandle(u.uiConversation))

	ui.GET("/approvals", u.uiHandle(u.uiApprovals))
	ui.POST("/approvals/:id/approve", u.uiHandle(u.uiApprove))
	ui.POST("/approvals/:id/reject", u.uiHandle(u.uiReject))

	ui.GET("/tools", u.uiHandle(u.uiTools))
	ui.POST("/tools", u.uiHandle(u.uiCreateTool))
	ui.GET("/tools/:id", u.uiHandle(u.uiTool))
	ui.POST("/tools/:id", u.uiHandle(u.uiUpdateTool))
	ui.POST("/tools/:id/publish", u.uiHandle(u.uiPublishTool))
	ui.POST("/tools/:id/try", u.uiHandle(u.uiTryTool))
	ui.GET("/tools/:id/delete", u.uiHandle(u.uiConfirmDeleteTool))
	ui.POST("/tools/:id/delete", u.uiHandle(u.uiDeleteTool))
	ui.POST("/tools-validate", u.uiJSONHandle(u.uiValidateTool))

	ui.GET("/connections", u.uiHandle(u.uiConnections))
	ui.POST("/connections", u.uiHandle(u.uiCreateConnection))
	ui.GET("/connections/new", u.uiHandle(u.uiNewConnection))
	ui.GET("/connections/:id", u.uiHandle(u.uiConnection))
	ui.POST("/connections/:id", u.uiHandle(u.uiUpdateConnection))
	ui.GET("/connections/:id/delete", u.uiHandle(u.uiConfirmDeleteConnection))
	ui.POST("/connections/:id/delete", u.uiHandle(u.uiDeleteConnection))
	ui.POST("/connections/:id/connect", u.uiHandle(u.uiConnect))

	ui.GET("/agents", u.uiHandle(u.uiAgents))
	ui.POST("/agents", u.uiHandle(u.uiCreateAgent))
	ui.GET("/agents/:id", u.uiHandle(u.uiAgent))
	ui.POST("/agents/:id", u.uiHandle(u.uiUpdateAgent))
	ui.GET("/agents/:id/delete", u.uiHandle(u.uiConfirmDeleteAgent))
	ui.POST("/agents/:id/delete", u.uiHandle(u.uiDeleteAgent))
	ui.POST("/agents/:id/keys", u.uiHandle(u.uiCreateAgentKey))
	ui.GET("/agents/:id/keys/:key/revoke", u.uiHandle(u.uiConfirmRevokeAgentKey))
	ui.POST("/agents/:id/keys/:key/revoke", u.uiHandle(u.uiRevokeAgentKey))
	ui.GET("/agents/:id/flows", u.uiHandle(u.uiFlows))
	ui.POST("/agents/:id/flows", u.uiHandle(u.uiCreateFlow))
	ui.GET("/agents/:id/flows/:flow_id", u.uiHandle(u.uiFlow))
	ui.POST("/agents/:id/flows/:flow_id", u.uiHandle(u.uiUpdateFlow))
	ui.POST("/agents/:id/flows/:flow_id/publish", u.uiHandle(u.uiPublishFlow))
	ui.POST("/agents/:id/flows/:flow_id/delete", u.uiHandle(u.uiDeleteFlow))
	ui.GET("/flow-sessions/:id", u.uiHandle(u.uiFlowSession))

	ui.GET("/keys", u.uiHandle(u.uiKeys))
	ui.POST("/keys", u.uiHandle(u.uiCreateAdminKey))
	ui.GET("/keys/:id/revoke", u.uiHandle(u.uiConfirmRevokeKey))
	ui.POST("/keys/:id/revoke", u.uiHandle(u.uiRevokeKey))
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
func (u *Console) uiHandle(h httpapi.Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			u.uiError(c, err)
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

func (u *Console) uiError(c *gin.Context, err error) {
	pub := httpapi.PublicOf(err)
	if pub.Status >= 500 {
		u.Log.ErrorContext(c.Request.Context(), "console request failed", slog.String("path", c.FullPath()), slog.Any("err", err))
	}
	data := uiErrorData{Status: pub.Status, Message: pub.Message, Details: errorDetails(pub.Details)}
	page := uiPage{Title: http.StatusText(pub.Status), Data: data}
	if sess := uiSessionOf(c); sess != nil {
		page.CSRF, page.SignedIn = sess.CSRFToken, true
	}
	u.uiRender(c, pub.Status, "error", page)
	c.Abort()
}

// errorDetails flattens a problem's details for display.
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
	errs, ok := details.([]tools.FieldError)
	if !ok {
		return nil
	}
	out := make([]uiDetail, 0, len(errs))
	for _, e := range errs {
		out = append(out, uiDetail{Path: e.Path, Message: e.Message})
	}
	return out
}

// uiRender executes a page into a buffer first, so a failing template
// never sends half a page.
func (u *Console) uiRender(c *gin.Context, status int, name string, page uiPage) {
	u.uiRenderTemplate(c, status, name, "layout", page)
}

// uiRenderTemplate executes one named template of a page's set.
func (u *Console) uiRenderTemplate(c *gin.Context, status int, page, tmpl string, data any) {
	var buf bytes.Buffer
	if err := uiTemplates[page].ExecuteTemplate(&buf, tmpl, data); err != nil {
		u.Log.ErrorContext(c.Request.Context(), "rendering console page", slog.String("page", page), slog.Any("err", err))
		c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("internal error"))
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// uiFormValue returns a trimmed form value.
func uiFormValue(c *gin.Context, name string) string {
	return strings.TrimSpace(c.PostForm(name))
}

// isNotFound reports whether err is a NotFound problem.
func isNotFound(err error) bool { return problem.Is(err, problem.NotFound) }
