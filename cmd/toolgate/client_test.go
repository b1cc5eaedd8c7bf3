package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

// TestClientRedirect: the client follows no redirect. A gateway that
// redirects its writes (a 307 or 308 would have the body, secrets
// included, sent again, and the admin key with it) is an error naming
// where it redirects to, and the address redirected to hears nothing.
func TestClientRedirect(t *testing.T) {
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			g := newTestGateway(t)
			var heard atomic.Int32
			target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				heard.Add(1)
			}))
			defer target.Close()
			gw, _ := url.Parse(g.url)
			proxy := httputil.NewSingleHostReverseProxy(gw)
			// Reads reach the gateway; writes are redirected.
			redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet {
					proxy.ServeHTTP(w, r)
					return
				}
				http.Redirect(w, r, target.URL+r.URL.Path, status)
			}))
			defer redirector.Close()
			dir := writeFiles(t, t.TempDir(), map[string]string{"c.yaml": workspaceFixture["connections.yaml"]})
			env := g.env(fixtureEnv...)
			env["TOOLGATE_URL"] = redirector.URL
			out, stderr, err := g.run(env, "apply", "-f", dir)
			if want := "the gateway redirected to " + target.URL + "/v1/admin/connections; set TOOLGATE_URL"; !strings.Contains(out, want) {
				t.Errorf("the output lacks %q (error %v):\n%s%s", want, err, out, stderr)
			}
			if err == nil {
				t.Error("apply succeeded")
			}
			if n := heard.Load(); n != 0 {
				t.Errorf("the address redirected to heard %d requests", n)
			}
		})
	}
}

// TestClientRefusesCredentialsInURL: a gateway URL with a user or a
// password is refused, and the password is in no message.
func TestClientRefusesCredentialsInURL(t *testing.T) {
	g := newTestGateway(t)
	for _, u := range []string{"http://admin:hunter2@127.0.0.1:1", "http://hunter2@127.0.0.1:1", "http://u:hunter2@[::1", "http://u:hunter2@x/%zz"} {
		env := g.env()
		env["TOOLGATE_URL"] = u
		out, stderr, err := g.run(env, "export")
		if err == nil {
			t.Errorf("%s: export succeeded", u)
			continue
		}
		if !strings.Contains(err.Error(), "TOOLGATE_URL (-url)") {
			t.Errorf("%s: %v, want an error naming TOOLGATE_URL", u, err)
		}
		if all := out + stderr + err.Error(); strings.Contains(all, "hunter2") {
			t.Errorf("%s: the password is printed: %v\n%s", u, err, all)
		}
	}
}

// TestClientErrorText: an error answer that is not the API's JSON is
// shown cut (on a rune boundary), without control characters, and
// without the admin key should it echo it.
func TestClientErrorText(t *testing.T) {
	const key = "tg_the_admin_key_0123456789"
	body := "\x1b[31mproxy error\x1b[0m for Bearer " + key + "\r\n" + strings.Repeat("é", 300)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, body)
	}))
	defer srv.Close()
	c := newAdminClient(&config{GatewayURL: srv.URL, AdminKey: key})
	err := c.do(context.Background(), http.MethodGet, "/v1/admin/tools", nil, nil)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if strings.Contains(msg, key) || strings.ContainsAny(msg, "\x1b\r\n") || !utf8.ValidString(msg) || len(msg) > 300 {
		t.Errorf("error %q", msg)
	}
	if !strings.Contains(msg, "[31mproxy error[0m for Bearer [admin key]") || !strings.HasSuffix(msg, "é…") {
		t.Errorf("error %q lacks the answer's text", msg)
	}
}

// TestClientListBounds: a list ends when the gateway gives a cursor
// twice, or more pages than a list can have; an answer is bounded.
func TestClientListBounds(t *testing.T) {
	tests := []struct {
		name   string
		cursor func(n int) string
		want   string
	}{
		{"repeated cursor", func(n int) string { return fmt.Sprint(n % 3) }, "gave the same next_cursor twice"},
		{"endless", func(n int) string { return fmt.Sprint(n) }, fmt.Sprintf("the list is over %d pages", listPagesMax)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			pages := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				pages++
				n := pages
				mu.Unlock()
				fmt.Fprintf(w, `{"items": [{"id": "x"}], "next_cursor": %q}`, tt.cursor(n))
			}))
			defer srv.Close()
			c := newAdminClient(&config{GatewayURL: srv.URL, AdminKey: "k"})
			_, err := c.list(context.Background(), "/v1/admin/tools")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
			if pages > listPagesMax {
				t.Errorf("%d pages read", pages)
			}
		})
	}
	t.Run("large answer", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"items": ["`)
			chunk := strings.Repeat("x", 1<<20)
			for range clientResponseBytesMax>>20 + 1 {
				if _, err := io.WriteString(w, chunk); err != nil {
					return
				}
			}
		}))
		defer srv.Close()
		c := newAdminClient(&config{GatewayURL: srv.URL, AdminKey: "k"})
		_, err := c.list(context.Background(), "/v1/admin/tools")
		if want := "the answer is over 64 MiB"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want %q", err, want)
		}
	})
}

// TestClientUploadLength: an upload says its length (no chunked body),
// as proxies in front of a gateway may require.
func TestClientUploadLength(t *testing.T) {
	body := []byte(`{"spec": "openapi: 3.0.0"}`)
	var got int64
	var chunked bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, chunked = r.ContentLength, len(r.TransferEncoding) > 0
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	c := newAdminClient(&config{GatewayURL: srv.URL, AdminKey: "k"})
	uploaded := false
	upload := &eofReader{data: body, onEOF: func() { uploaded = true }}
	if err := c.send(context.Background(), time.Minute, http.MethodPost, "/v1/admin/imports/openapi", upload, nil); err != nil {
		t.Fatal(err)
	}
	if got != int64(len(body)) || chunked || !uploaded {
		t.Errorf("Content-Length %d (chunked %v, all read %v), want %d", got, chunked, uploaded, len(body))
	}
}

// TestClientErrorMessage: the message of an API error answer is shown
// whole (up to a bound), without control characters or the admin key.
func TestClientErrorMessage(t *testing.T) {
	const key = "tg_the_admin_key_0123456789"
	long := strings.Repeat("a long message ", 30)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error": {"type": "invalid_request", "message": "\u001b[2J%s key %s"}}`, long, key)
	}))
	defer srv.Close()
	c := newAdminClient(&config{GatewayURL: srv.URL, AdminKey: key})
	err := c.do(context.Background(), http.MethodGet, "/v1/admin/tools", nil, nil)
	if want := "GET /v1/admin/tools: 400 [2J" + long + " key [admin key]"; err == nil || err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}
