package main

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(newHandler("tok", log.New(io.Discard, "", 0)))
	defer srv.Close()
	tests := []struct {
		method, path, token, body string
		status                    int
		contains                  string
	}{
		{"GET", "/orders/A-17", "tok", "", 200, `"id":"A-17"`},
		{"GET", "/orders/A-17", "", "", 401, "bearer token"},
		{"GET", "/orders/A-17", "wrong", "", 401, "bearer token"},
		{"POST", "/leads", "tok", `{"phone":"+255700000001"}`, 201, `"saved":true`},
		{"POST", "/leads", "tok", `not json`, 400, "JSON object"},
		{"POST", "/callbacks", "", `{"status":"succeeded"}`, 204, ""},
		{"GET", "/nope", "tok", "", 404, ""},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
		if tt.token != "" {
			req.Header.Set("Authorization", "Bearer "+tt.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.contains) {
			t.Errorf("%s %s (token %q): %d %s, want %d containing %q", tt.method, tt.path, tt.token, resp.StatusCode, body, tt.status, tt.contains)
		}
	}
}
