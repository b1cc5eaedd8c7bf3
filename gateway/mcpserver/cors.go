package mcpserver

import (
	"net/http"
	"strings"
)

// corsPolicy lets browser-based MCP clients of the configured origins call
// /mcp. Preflights are answered before authentication (a browser sends
// them without the key).
type corsPolicy struct {
	any     bool
	origins map[string]bool
}

// Headers of the CORS answers.
const (
	corsAllowMethods  = "GET, POST, DELETE, OPTIONS"
	corsAllowHeaders  = "Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID"
	corsExposeHeaders = "Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate"
	corsMaxAge        = "600"
)

// newCORS builds the policy of a list of origins ("https://app.example.com",
// or "*" for any).
func newCORS(origins []string) corsPolicy {
	p := corsPolicy{origins: map[string]bool{}}
	for _, o := range origins {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		switch o {
		case "":
		case "*":
			p.any = true
		default:
			p.origins[strings.ToLower(o)] = true
		}
	}
	return p
}

func (p corsPolicy) allows(origin string) bool {
	return p.any || p.origins[strings.ToLower(origin)]
}

// handle applies the policy. It returns false when it answered the request
// itself: a preflight, or a request from an origin that is not allowed
// (403, as the MCP transport requires of an invalid Origin).
func (p corsPolicy) handle(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	preflight := r.Method == http.MethodOptions
	if origin == "" {
		if preflight {
			w.Header().Set("Allow", corsAllowMethods)
			w.WriteHeader(http.StatusNoContent)
			return false
		}
		return true
	}
	if !p.allows(origin) {
		writeError(w, http.StatusForbidden, nil, &rpcError{Code: codeBadRequest,
			Message: "Forbidden: origin " + origin + " may not call /mcp (add it to TOOLGATE_CORS_ORIGINS)"})
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
	if preflight {
		h.Set("Access-Control-Allow-Methods", corsAllowMethods)
		h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
		h.Set("Access-Control-Max-Age", corsMaxAge)
		w.WriteHeader(http.StatusNoContent)
		return false
	}
	return true
}
