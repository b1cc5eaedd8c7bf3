// Package voice connects voice platforms (Vapi, Retell, ElevenLabs) to an
// agent's tools: each platform calls toolgate's adapter URL with its own
// webhook envelope and credential instead of a toolgate key, and imports
// the agent's tools as its own tool definitions (the export). Everything a
// platform needs lives in its own Platform implementation in this package:
// its settings, how it authenticates, how its calls are read and answered
// and how its tools are exported; adding a platform is one file here and
// one entry in platforms.
//
// Every call goes through package invoke, exactly as the REST call does;
// platforms get HTTP 200 for anything their model should read (results,
// invalid arguments, upstream failures), so the assistant can tell or ask
// the caller rather than hit a platform error.
package voice

import (
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/toolgate/toolgate/schema"
	"github.com/toolgate/toolgate/tools"
)

// Request is a webhook request from a platform, as read off the wire.
type Request struct {
	// Body is the raw body, bounded by the HTTP layer.
	Body   []byte
	Header http.Header
	Query  url.Values
	// Tool is the tool named in the URL path, for platforms with a URL per
	// tool ("" otherwise).
	Tool string
	// Now is when the request arrived.
	Now time.Time
}

// Call is one tool call a platform asked for.
type Call struct {
	// ID is the platform's id of the call, echoed in the answer.
	ID        string
	Tool      string
	Arguments json.RawMessage
}

// Batch is what a webhook request asks: its calls and the caller context
// they run with. A request that asks nothing to run (a Vapi status update)
// has Reply set, to be sent as it is.
type Batch struct {
	Calls []Call
	// User is the caller's phone number; Conversation the platform's call
	// or conversation ID ("" when unknown).
	User, Conversation string
	Reply              *Response
}

// Response is the HTTP answer to a platform.
type Response struct {
	Status      int
	ContentType string
	Body        []byte
}

// Platform is one voice platform.
type Platform interface {
	// Name is the platform as named in URLs, settings and exports: "vapi".
	Name() string
	// Settings names its secret settings, set per agent by an admin.
	Settings() []string
	// Authenticate checks the request's credential against the agent's
	// settings. A platform that signs requests returns the key that makes
	// this signed request unique (so it is accepted once), otherwise "".
	Authenticate(req *Request, settings Settings) (ok bool, replayKey string)
	// Decode reads the calls of an authenticated request; a malformed one
	// is a *problem.Error.
	Decode(req *Request) (*Batch, error)
	// Encode answers the batch's calls, in order.
	Encode(b *Batch, answers []Reply) (*Response, error)
	// Export is a tool as the platform's tool definition calling url (its
	// adapter URL, see ToolURL), with its argument schema converted to the
	// platform's subset of JSON Schema and what could not be expressed.
	Export(t *tools.Prepared, url string) (def any, unconverted []*schema.NotConvertibleError)
	// ToolInPath reports whether each tool has its own adapter URL, the
	// agent's URL followed by the tool's name.
	ToolInPath() bool
}

// ToolURL is the adapter URL a platform calls a tool at, given the
// agent's.
func ToolURL(p Platform, agentURL, tool string) string {
	if p.ToolInPath() {
		return agentURL + "/" + url.PathEscape(tool)
	}
	return agentURL
}

// platforms are the supported platforms, in the order listings show them.
var platforms = []Platform{vapi{}, retell{}, elevenLabs{}}

// Lookup returns a platform by name, nil when unknown.
func Lookup(name string) Platform {
	for _, p := range platforms {
		if p.Name() == name {
			return p
		}
	}
	return nil
}

// Names lists the platforms' names.
func Names() []string {
	out := make([]string, len(platforms))
	for i, p := range platforms {
		out[i] = p.Name()
	}
	return out
}
