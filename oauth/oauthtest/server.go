// Package oauthtest runs a real OAuth2 authorization server
// (github.com/go-oauth2/oauth2/v4) in-process on loopback for tests, with
// PKCE enforced, refresh-token rotation (an old refresh token is rejected
// once used), a protected API that checks bearer tokens, and a count of the
// requests its token endpoint received.
package oauthtest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-oauth2/oauth2/v4/errors"
	"github.com/go-oauth2/oauth2/v4/manage"
	"github.com/go-oauth2/oauth2/v4/models"
	"github.com/go-oauth2/oauth2/v4/server"
	"github.com/go-oauth2/oauth2/v4/store"
)

// Client credentials the server knows.
const (
	ClientID     = "toolgate-client"
	ClientSecret = "client-secret-7f3a9c"
	// UserID is the resource owner who approves every authorization.
	UserID = "user-1"
)

// Options configure a Server.
type Options struct {
	// AccessTokenExp is the lifetime of access tokens. Defaults to 1h.
	AccessTokenExp time.Duration
}

// Server is a running authorization server and protected API.
type Server struct {
	// URL is the base URL; AuthorizeURL, TokenURL and APIURL are its
	// endpoints.
	URL, AuthorizeURL, TokenURL, APIURL string
	// Manager is the library's token manager, for revoking tokens.
	Manager *manage.Manager

	srv *server.Server

	mu       sync.Mutex
	requests map[string]int // grant_type → token requests
	issued   []Issued
	failures []int // statuses to answer the next token requests with
}

// Issued is one successful token endpoint answer.
type Issued struct {
	GrantType    string
	AccessToken  string
	RefreshToken string
}

// New starts a Server, closed when the test ends.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	exp := opts.AccessTokenExp
	if exp == 0 {
		exp = time.Hour
	}
	mgr := manage.NewDefaultManager()
	mgr.SetAuthorizeCodeTokenCfg(&manage.Config{AccessTokenExp: exp, RefreshTokenExp: 72 * time.Hour, IsGenerateRefresh: true})
	mgr.SetClientTokenCfg(&manage.Config{AccessTokenExp: exp})
	mgr.SetRefreshTokenCfg(&manage.RefreshingConfig{AccessTokenExp: exp, RefreshTokenExp: 72 * time.Hour,
		IsGenerateRefresh: true, IsResetRefreshTime: true, IsRemoveAccess: true, IsRemoveRefreshing: true})
	mgr.MustTokenStorage(store.NewMemoryTokenStore())
	clients := store.NewClientStore()
	if err := clients.Set(ClientID, &models.Client{ID: ClientID, Secret: ClientSecret, Domain: "http://127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	mgr.MapClientStorage(clients)
	mgr.SetValidateURIHandler(func(base, redirect string) error {
		if !strings.HasPrefix(redirect, base) {
			return errors.ErrInvalidRedirectURI
		}
		return nil
	})

	srv := server.NewDefaultServer(mgr)
	srv.Config.ForcePKCE = true
	srv.SetUserAuthorizationHandler(func(http.ResponseWriter, *http.Request) (string, error) { return UserID, nil })

	s := &Server{Manager: mgr, srv: srv, requests: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) {
		if err := srv.HandleAuthorizeRequest(w, r); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	})
	mux.HandleFunc("/token", s.token)
	mux.HandleFunc("/api/me", s.api)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	s.URL = hs.URL
	s.AuthorizeURL, s.TokenURL, s.APIURL = hs.URL+"/authorize", hs.URL+"/token", hs.URL+"/api/me"
	return s
}

// token counts the request, answers an injected failure or lets the
// library answer, and records what it issued.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	grant := r.PostForm.Get("grant_type")
	s.mu.Lock()
	s.requests[grant]++
	var fail int
	if len(s.failures) > 0 {
		fail, s.failures = s.failures[0], s.failures[1:]
	}
	s.mu.Unlock()
	if fail != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(fail)
		_, _ = w.Write([]byte(`{"error":"temporarily_unavailable","error_description":"injected failure"}`))
		return
	}
	rec := httptest.NewRecorder()
	_ = s.srv.HandleTokenRequest(rec, r)
	var body struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if rec.Code == http.StatusOK && json.Unmarshal(rec.Body.Bytes(), &body) == nil {
		s.mu.Lock()
		s.issued = append(s.issued, Issued{GrantType: grant, AccessToken: body.AccessToken, RefreshToken: body.RefreshToken})
		s.mu.Unlock()
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// api is a protected resource: 401 without a valid bearer token, else the
// token's user and client, and the Authorization header it received (so
// tests can check it never reaches a run record).
func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	ti, err := s.srv.ValidationBearerToken(r)
	if err != nil {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"invalid_token"}`))
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]string{
		"user": ti.GetUserID(), "client": ti.GetClientID(), "scope": ti.GetScope(),
		"authorization": r.Header.Get("Authorization"),
	})
}

// TokenRequests returns how many requests the token endpoint received,
// failed ones included.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.requests {
		n += c
	}
	return n
}

// Requests returns how many token requests of a grant type arrived
// ("authorization_code", "refresh_token", "client_credentials").
func (s *Server) Requests(grantType string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[grantType]
}

// Issued returns every successful token answer, oldest first.
func (s *Server) Issued() []Issued {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Issued(nil), s.issued...)
}

// Last returns the latest successful token answer.
func (s *Server) Last(t testing.TB) Issued {
	t.Helper()
	issued := s.Issued()
	if len(issued) == 0 {
		t.Fatal("the authorization server has issued no token")
	}
	return issued[len(issued)-1]
}

// FailNext answers the next token requests with these statuses, in order.
func (s *Server) FailNext(statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, statuses...)
}

// RevokeRefresh revokes a refresh token: using it then gets invalid_grant.
func (s *Server) RevokeRefresh(t testing.TB, refresh string) {
	t.Helper()
	if err := s.Manager.RemoveRefreshToken(context.Background(), refresh); err != nil {
		t.Fatal(err)
	}
}

// RevokeAccess revokes an access token: the API then answers 401.
func (s *Server) RevokeAccess(t testing.TB, access string) {
	t.Helper()
	if err := s.Manager.RemoveAccessToken(context.Background(), access); err != nil {
		t.Fatal(err)
	}
}

// RefreshDirectly posts a refresh_token grant itself and returns the status
// and OAuth2 error code (for checking that a used refresh token is dead).
func (s *Server) RefreshDirectly(t testing.TB, refresh string) (int, string) {
	t.Helper()
	form := "grant_type=refresh_token&refresh_token=" + refresh
	req, err := http.NewRequest(http.MethodPost, s.TokenURL, bytes.NewBufferString(form))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(ClientID, ClientSecret)
	rec := httptest.NewRecorder()
	_ = req.ParseForm()
	_ = s.srv.HandleTokenRequest(rec, req)
	var body struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	return rec.Code, body.Error
}

// Clock is a test clock for oauth.Config.Now: it moves only when told.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock at the current time.
func NewClock() *Clock { return &Clock{now: time.Now().UTC()} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
