package console

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/problem"
)

// Console session settings.
const (
	// SessionCookie names the console's session cookie.
	SessionCookie = "toolgate_session"
	// signInCookie carries the sign-in form's CSRF token before there is a
	// session (double submit).
	signInCookie = "toolgate_signin"
	// csrfField and csrfHeader carry the CSRF token of a POST.
	csrfField  = "csrf_token"
	csrfHeader = "X-CSRF-Token"
	sessionKey = "toolgate.session"
	// formMaxBytes bounds a console form.
	formMaxBytes = httpapi.MaxRequestBytes
)

var (
	errSignedOut = &problem.Error{Kind: problem.Unauthorized,
		Message: "you are signed out: sign in again with an admin key"}
	errCSRF = &problem.Error{Kind: problem.Forbidden,
		Message: "the form is missing its security token or it expired: reload the page and try again"}
)

// setUICookie sets a console cookie: HttpOnly, SameSite=Strict, scoped to
// /ui, and Secure when the console is served over TLS, directly or behind a
// proxy (TOOLGATE_PUBLIC_URL is https). maxAge < 0 deletes it.
func (u *Console) setUICookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: "/ui", MaxAge: maxAge, HttpOnly: true,
		Secure:   c.Request.TLS != nil || strings.HasPrefix(u.PublicURL, "https://"),
		SameSite: http.SameSiteStrictMode,
	})
}

// uiSessionOf returns the request's session, nil before authentication.
func uiSessionOf(c *gin.Context) *admin.Session {
	v, ok := c.Get(sessionKey)
	if !ok {
		return nil
	}
	return v.(*admin.Session)
}

// uiAuthenticate requires a live session and, for every POST, its CSRF
// token. It sets the session's principal for the pages.
func (u *Console) uiAuthenticate(c *gin.Context) {
	var sess *admin.Session
	if cookie, err := c.Cookie(SessionCookie); err == nil && cookie != "" {
		sess, err = u.Admin.Sessions.Get(c.Request.Context(), cookie)
		if err != nil {
			u.uiError(c, err)
			return
		}
	}
	if sess == nil {
		if c.Request.Method == http.MethodGet {
			c.Redirect(http.StatusSeeOther, "/ui/signin")
			c.Abort()
			return
		}
		u.uiError(c, errSignedOut)
		return
	}
	c.Set(sessionKey, sess)
	httpapi.SetPrincipal(c, sess.Principal)
	if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, formMaxBytes)
		token := c.GetHeader(csrfHeader)
		if token == "" {
			token = c.PostForm(csrfField)
		}
		if !tokensEqual(token, sess.CSRFToken) {
			u.uiError(c, errCSRF)
			return
		}
	}
	c.Next()
}

func tokensEqual(got, want string) bool {
	return got != "" && want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// uiSignInData is the sign-in page's content.
type uiSignInData struct {
	Error string
}

func (u *Console) uiSignInForm(c *gin.Context) error {
	u.renderSignIn(c, http.StatusOK, "")
	return nil
}

// renderSignIn shows the sign-in form with a fresh double-submit token.
func (u *Console) renderSignIn(c *gin.Context, status int, msg string) {
	token := admin.RandomToken()
	u.setUICookie(c, signInCookie, token, int((10 * time.Minute).Seconds()))
	u.uiRender(c, status, "signin", uiPage{Title: "Sign in", CSRF: token, Data: uiSignInData{Error: msg}})
}

// uiSignIn checks an admin key exactly as the API does and starts a
// session. Agent keys are refused.
func (u *Console) uiSignIn(c *gin.Context) error {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, formMaxBytes)
	cookie, _ := c.Cookie(signInCookie)
	if !tokensEqual(c.PostForm(csrfField), cookie) {
		return errCSRF
	}
	value, _, err := u.Admin.Sessions.SignIn(c.Request.Context(), uiFormValue(c, "key"))
	if problem.Is(err, problem.Unauthorized) {
		u.renderSignIn(c, http.StatusUnauthorized, "That key is not a valid admin key.")
		return nil
	}
	if err != nil {
		return err
	}
	u.setUICookie(c, signInCookie, "", -1)
	u.setUICookie(c, SessionCookie, value, int(admin.SessionTTL.Seconds()))
	c.Redirect(http.StatusSeeOther, "/ui/runs")
	return nil
}

// uiSignOut ends the session on the server and clears the cookie.
func (u *Console) uiSignOut(c *gin.Context) error {
	if err := u.Admin.Sessions.SignOut(c.Request.Context(), uiSessionOf(c)); err != nil {
		return err
	}
	u.setUICookie(c, SessionCookie, "", -1)
	c.Redirect(http.StatusSeeOther, "/ui/signin")
	return nil
}
