// Command upstream is the demo API of the README's walk-through: a tiny
// orders-and-leads service on loopback that toolgate's tools call. It wants
// the bearer token the walk-through's connection holds, so a call that
// reaches it shows toolgate injected the credential; it logs each request
// with the identification headers toolgate sends (never the token).
//
//	go run ./examples/upstream                 # 127.0.0.1:9000, token s3cr3t
//	go run ./examples/upstream -addr 127.0.0.1:9100 -token other
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"time"
)

// maxBody bounds a request body.
const maxBody = 64 << 10

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "listen address")
	token := flag.String("token", "s3cr3t", "the bearer token callers must send")
	flag.Parse()
	logger := log.New(os.Stderr, "upstream: ", log.LstdFlags)
	srv := &http.Server{Addr: *addr, Handler: newHandler(*token, logger), ReadHeaderTimeout: 10 * time.Second}
	logger.Printf("listening on http://%s", *addr)
	logger.Fatal(srv.ListenAndServe())
}

// newHandler serves GET /orders/{id}, POST /leads and POST /callbacks (a
// receiver for background runs' results).
func newHandler(token string, logger *log.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"id": r.PathValue("id"), "status": "shipped", "eta": "tomorrow before noon"})
	})
	mux.HandleFunc("POST /leads", func(w http.ResponseWriter, r *http.Request) {
		var lead map[string]any
		if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&lead); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "send a JSON object"})
			return
		}
		writeJSON(w, http.StatusCreated, map[string]any{"saved": true, "lead": lead})
	})
	callbacks := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
		logger.Printf("callback for run %s: %s", r.Header.Get("X-Toolgate-Run-Id"), body)
		w.WriteHeader(http.StatusNoContent)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logger.Printf("%s %s run=%s agent=%s tool=%s", r.Method, r.URL.Path,
			r.Header.Get("X-Toolgate-Run-Id"), r.Header.Get("X-Toolgate-Agent-Id"), r.Header.Get("X-Toolgate-Tool"))
		if r.Method == http.MethodPost && r.URL.Path == "/callbacks" {
			callbacks(w, r) // signed by toolgate, not sent with the token
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+token {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "missing or wrong bearer token"})
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		fmt.Fprintln(os.Stderr, "upstream: writing a response:", err)
	}
}
