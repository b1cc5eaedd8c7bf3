package flows

import (
	"encoding/json"
	"errors"
	"strings"
)

// Definition is a conversation flow as an admin writes it: a state machine
// whose states show a message, run API_CALL actions, wait for input and
// move on. It is stored as JSON; published versions are immutable copies.
type Definition struct {
	// Start names the state a session begins in.
	Start string `json:"start" jsonschema_description:"The state a session begins in."`
	// States are the flow's states by name.
	States map[string]*State `json:"states" jsonschema_description:"The flow's states by name."`
}

// State is one step of a conversation.
type State struct {
	// Message is a template shown to the user when the state is entered,
	// before its actions run ({{variables.*}}, {{context.*}}).
	Message string `json:"message,omitempty" jsonschema_description:"A template shown to the user when the state is entered, before its actions run ({{variables.x}}, {{context.x}})."`
	// Actions run in order when the state is entered.
	Actions []*Action `json:"actions,omitempty" jsonschema_description:"API_CALL actions run in order when the state is entered."`
	// Input makes the state wait for the user's next message.
	Input *Input `json:"input,omitempty" jsonschema_description:"Makes the state wait for the user's next message."`
	// Transitions lead on: the first whose If holds wins; one without If is
	// the fallback.
	Transitions []*Transition `json:"transitions,omitempty" jsonschema_description:"Where to go next: the first whose if holds wins; one without if is the fallback."`
	// End ends the session once the state's message and actions are done.
	End bool `json:"end,omitempty" jsonschema_description:"Ends the session once the state's message and actions are done."`
}

// Input is what a state waits for: the user's next message, checked and
// saved.
type Input struct {
	// SaveTo names the variable the message is saved to
	// (variables.<save_to>). Empty: the message is not saved, only
	// available to conditions as message.
	SaveTo string `json:"save_to,omitempty" jsonschema_description:"The variable the message is saved to (variables.<save_to>). Empty: the message is only available to conditions, as message."`
	// Schema is the JSON Schema the message must match. A message is tried
	// as text first, then as the JSON value it spells (42, true) when the
	// text does not match.
	Schema json.RawMessage `json:"schema,omitempty" jsonschema_description:"The JSON Schema the message must match: tried as text first, then as the JSON value it spells (42, true)."`
	// RetryMessage is a template shown when the message does not match;
	// the state then waits again. Defaults to the state's message.
	RetryMessage string `json:"retry_message,omitempty" jsonschema_description:"A template shown when the message does not match; the state then waits again. Defaults to the state's message."`
}

// Transition leads to another state.
type Transition struct {
	// If is a CEL condition over variables, message and context; empty
	// means always (the fallback).
	If string `json:"if,omitempty" jsonschema_description:"A CEL condition over variables, message and context; empty: always (the fallback)."`
	// To names the next state.
	To string `json:"to" jsonschema_description:"The next state."`
}

// Action is an API_CALL: an HTTP request to a saved integration (or a full
// URL), or a call of a published tool.
type Action struct {
	// Type must be ActionAPICall.
	Type string `json:"type" jsonschema_description:"The action's type: API_CALL."`
	// Integration names a saved connection whose base URL and credentials
	// are used. Exclusive with URL.
	Integration string `json:"integration,omitempty" jsonschema_description:"A saved connection whose base URL and credentials the call uses. Exclusive with url."`
	// Connection is a synonym of Integration.
	Connection string `json:"connection,omitempty" jsonschema_description:"A synonym of integration."`
	// Path is appended to the integration's base URL (a template).
	Path string `json:"path,omitempty" jsonschema_description:"A path template appended to the integration's base URL."`
	// URL is the full URL (legacy mode, a template). Exclusive with
	// Integration.
	URL string `json:"url,omitempty" jsonschema_description:"The full URL template. Exclusive with integration."`
	// Method is GET, POST, PUT, PATCH or DELETE. Defaults to GET.
	Method string `json:"method,omitempty" jsonschema_description:"The HTTP method."`
	// Headers are header templates merged over the integration's.
	Headers map[string]string `json:"headers,omitempty" jsonschema_description:"Header templates merged over the integration's."`
	// Body holds fields merged over the auto-injected body of POST, PUT
	// and PATCH (declared fields win); its strings are templates.
	Body RawObject `json:"body,omitempty" jsonschema_description:"Fields merged over the auto-injected body of POST, PUT and PATCH (declared fields win); its strings are templates."`
	// SaveTo names the variable the response is saved to. Defaults to
	// SaveToDefault.
	SaveTo string `json:"save_to,omitempty" jsonschema_description:"The variable the response is saved to."`
	// FireAndForget queues the call as a durable background run and moves
	// on at once: nothing is saved and nothing routes on its outcome.
	FireAndForget bool `json:"fire_and_forget,omitempty" jsonschema_description:"Queues the call as a durable background run and moves on at once: nothing is saved and nothing routes on its outcome."`
	// SuccessTransition is the state entered after a 2xx answer.
	SuccessTransition string `json:"success_transition,omitempty" jsonschema_description:"The state entered after a 2xx answer."`
	// FailureTransition is the state entered after any other outcome.
	FailureTransition string `json:"failure_transition,omitempty" jsonschema_description:"The state entered after any other outcome."`
	// TimeoutMS bounds the exchange. Defaults to tools.TimeoutMSDefault.
	TimeoutMS int `json:"timeout_ms,omitempty" jsonschema_description:"Bounds the exchange, in milliseconds."`
	// On routes by outcome class ("client_error", "timeout"...) or status
	// ("status:404"); a match wins over SuccessTransition and
	// FailureTransition, and a status over a class.
	On map[string]string `json:"on,omitempty" jsonschema_description:"Routes by outcome class (client_error, timeout...) or status (status:404) to a state; a match wins over success_transition and failure_transition, a status over a class."`
	// Tool names a published tool to call instead of Integration + Path.
	Tool string `json:"tool,omitempty" jsonschema_description:"A published tool to call instead of integration + path."`
	// Args are the tool's arguments; their strings are templates.
	Args RawObject `json:"args,omitempty" jsonschema_description:"The tool's arguments; their strings are templates."`
}

// ActionAPICall is the only action type.
const ActionAPICall = "API_CALL"

// SaveToDefault is where a response is saved when save_to is omitted.
const SaveToDefault = "response"

// Variables every API_CALL sets.
const (
	// VarAPIStatus is the HTTP status of the last call (0 when none came).
	VarAPIStatus = "api_status"
	// VarAPIOK is whether the last call's outcome was success.
	VarAPIOK = "api_ok"
	// VarContactName, when set, is sent as X-Toolgate-User-Name.
	VarContactName = "contact_name"
)

// ConnectionName returns the action's integration (or its synonym,
// connection).
func (a *Action) ConnectionName() string {
	if a.Integration != "" {
		return a.Integration
	}
	return a.Connection
}

// EffectiveMethod returns the upper-case method, GET when omitted.
func (a *Action) EffectiveMethod() string {
	if a.Method == "" {
		return "GET"
	}
	return strings.ToUpper(a.Method)
}

// EffectiveSaveTo returns SaveTo or SaveToDefault.
func (a *Action) EffectiveSaveTo() string {
	if a.SaveTo == "" {
		return SaveToDefault
	}
	return a.SaveTo
}

// hasBody reports whether the method sends a body.
func hasBody(method string) bool {
	return method == "POST" || method == "PUT" || method == "PATCH"
}

// RawObject is a JSON object kept as written (its field order included).
// Decoding refuses anything but an object or null.
type RawObject json.RawMessage

// MarshalJSON returns the object, or null when empty.
func (o RawObject) MarshalJSON() ([]byte, error) {
	if len(o) == 0 {
		return []byte("null"), nil
	}
	return o, nil
}

// UnmarshalJSON keeps a copy of data, which must be an object or null.
func (o *RawObject) UnmarshalJSON(data []byte) error {
	trimmed := strings.TrimSpace(string(data))
	switch {
	case trimmed == "null":
		*o = nil
		return nil
	case !strings.HasPrefix(trimmed, "{"):
		return errNotObject
	}
	*o = append((*o)[:0], data...)
	return nil
}

var errNotObject = errors.New("must be a JSON object")
