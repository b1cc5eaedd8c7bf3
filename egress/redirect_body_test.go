package egress

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestSensitiveBodyNotReplayedCrossOrigin: a 307 to another origin would
// replay a body holding credentials there; with SensitiveBody it is not
// followed.
func TestSensitiveBodyNotReplayedCrossOrigin(t *testing.T) {
	var got atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if strings.Contains(string(b), "secret-body") {
			got.Add(1)
		}
	}))
	defer other.Close()
	first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/elsewhere", http.StatusTemporaryRedirect)
	}))
	defer first.Close()
	c := newClient(t, Config{AllowNetworks: loopbackNetworks})
	for _, sensitive := range []bool{true, false} {
		req, _ := http.NewRequest(http.MethodPost, first.URL, strings.NewReader(`{"k":"secret-body"}`))
		resp, err := c.Do(context.Background(), req, Options{SensitiveBody: sensitive})
		if err != nil {
			t.Fatal(err)
		}
		if sensitive && (resp.StatusCode != http.StatusTemporaryRedirect || got.Load() != 0) {
			t.Errorf("sensitive body: status %d, other origin got %d bodies; want 307 and 0", resp.StatusCode, got.Load())
		}
		if !sensitive && (resp.StatusCode != http.StatusOK || got.Load() != 1) {
			t.Errorf("plain body: status %d, other origin got %d bodies; want 200 and 1", resp.StatusCode, got.Load())
		}
	}
}
