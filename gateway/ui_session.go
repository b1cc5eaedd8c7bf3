package gateway

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/store"
)

// Console session settings.
const (
	// UISessionCookie names the console's session cookie.
	UISessionCookie = "toolgate_session"
	// uiSignInCookie carries the sign-in form's CSRF token before there is a
	// session (double submit).
	uiSignInCookie = "toolgate_signin"
	// UISessionTTL is how long a console session lasts.
	UISessionTTL = 12 * time.Hour
	// uiCSRFField and uiCSRFHeader carry the CSRF token of a POST.
	uiCSRFField  = "csrf_token"
	uiCSRFHeader = "X-CSRF-Token"
	uiSessionKey = "toolgate.session"
	// uiFormMaxBytes bounds a console form.
	uiFormMaxBytes = MaxRequestBytes
)

var (
	errUISignedOut = &HTTPError{Status: http.StatusUnauthorized, Type: ErrTypeUnauthorized,
		Message: "you are signed out: sign in again with an admin key"}
	errUICSRF = &HTTPError{Status: http.StatusForbidden, Type: ErrTypeForbidden,
		Message: "the form is missing its security token or it expired: reload the page and try again"}
	errUIAgentKey = &HTTPError{Status: http.StatusForbidden, Type: ErrTypeForbidden,
		Message: "agent keys cannot sign in to the console: use an admin key"}
)

// randomToken returns 32 random bytes, base64url-encoded.
func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// sessionHash is how a session cookie's value is stored: SHA-256, hex.
func sessionHash(value string) string {
	sum := sha256.Sum256([]byte(value))
	return hex.EncodeToString(sum[:])
}

// setUICookie sets a console cookie: HttpOnly, SameSite=Strict, scoped to
// /ui, and Secure when the console is served over TLS, directly or behind a
// proxy (TOOLGATE_PUBLIC_URL is https). maxAge < 0 deletes it.
func (s *Server) setUICookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: "/ui", MaxAge: maxAge, HttpOnly: true,
		Secure:   c.Request.TLS != nil || strings.HasPrefix(s.publicURL, "https://"),
		SameSite: http.SameSiteStrictMode,
	})
}

// uiSessionOf returns the request's session, nil before authentication.
func uiSessionOf(c *gin.Context) *store.Session {
	v, ok := c.Get(uiSessionKey)
	if !ok {
		return nil
	}
	return v.(*store.Session)
}

// uiAuthenticate requires a live session and, for every POST, its CSRF
// token. It sets the principal so that the admin handlers' helpers work.
func (s *Server) uiAuthenticate(c *gin.Context) {
	var sess *store.Session
	if cookie, err := c.Cookie(UISessionCookie); err == nil && cookie != "" {
		sess, err = s.store.SessionGet(c.Request.Context(), sessionHash(cookie), s.now())
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.uiError(c, err)
			return
		}
	}
	if sess == nil {
		if c.Request.Method == http.MethodGet {
			c.Redirect(http.StatusSeeOther, "/ui/signin")
			c.Abort()
			return
		}
		s.uiError(c, errUISignedOut)
		return
	}
	c.Set(uiSessionKey, sess)
	c.Set(principalKey, &principal{WorkspaceID: sess.WorkspaceID, KeyID: sess.KeyID, Role: store.RoleAdmin})
	if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, uiFormMaxBytes)
		token := c.GetHeader(uiCSRFHeader)
		if token == "" {
			token = c.PostForm(uiCSRFField)
		}
		if !tokensEqual(token, sess.CSRFToken) {
			s.uiError(c, errUICSRF)
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

func (s *Server) uiSignInForm(c *gin.Context) error {
	s.renderSignIn(c, http.StatusOK, "")
	return nil
}

// renderSignIn shows the sign-in form with a fresh double-submit token.
func (s *Server) renderSignIn(c *gin.Context, status int, msg string) {
	token := randomToken()
	s.setUICookie(c, uiSignInCookie, token, int((10 * time.Minute).Seconds()))
	s.uiRender(c, status, "signin", uiPage{Title: "Sign in", CSRF: token, Data: uiSignInData{Error: msg}})
}

// uiSignIn checks an admin key exactly as the API does and starts a
// session. Agent keys are refused.
func (s *Server) uiSignIn(c *gin.Context) error {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, uiFormMaxBytes)
	cookie, _ := c.Cookie(uiSignInCookie)
	if !tokensEqual(c.PostForm(uiCSRFField), cookie) {
		return errUICSRF
	}
	key := uiFormValue(c, "key")
	// Resolve the key through the API's own authentication.
	r := c.Request.Clone(c.Request.Context())
	r.Header = http.Header{"Authorization": {"Bearer " + key}}
	p, err := s.principalFromRequest(r)
	if err != nil {
		if he := toHTTPError(err); he.Status == http.StatusUnauthorized {
			s.renderSignIn(c, http.StatusUnauthorized, "That key is not a valid admin key.")
			return nil
		}
		return err
	}
	if p.Role != store.RoleAdmin {
		return errUIAgentKey
	}
	value := randomToken()
	now := s.now().UTC()
	sess := &store.Session{IDHash: sessionHash(value), WorkspaceID: p.WorkspaceID, KeyID: p.KeyID,
		CSRFToken: randomToken(), CreatedAt: now, ExpiresAt: now.Add(UISessionTTL)}
	if err := s.store.SessionInsert(c.Request.Context(), sess); err != nil {
		return err
	}
	if _, err := s.store.SessionDeleteExpired(c.Request.Context(), now); err != nil {
		s.log.WarnContext(c.Request.Context(), "deleting expired console sessions", slog.Any("err", err))
	}
	s.setUICookie(c, uiSignInCookie, "", -1)
	s.setUICookie(c, UISessionCookie, value, int(UISessionTTL.Seconds()))
	c.Redirect(http.StatusSeeOther, "/ui/runs")
	return nil
}

// uiSignOut ends the session on the server and clears the cookie.
func (s *Server) uiSignOut(c *gin.Context) error {
	if err := s.store.SessionDelete(c.Request.Context(), uiSessionOf(c).IDHash); err != nil && !isNotFound(err) {
		return err
	}
	s.setUICookie(c, UISessionCookie, "", -1)
	c.Redirect(http.StatusSeeOther, "/ui/signin")
	return nil
}
