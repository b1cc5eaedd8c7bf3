package mcpserver

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// JSON-RPC 2.0 error codes, and the server-defined codes toolgate answers
// transport failures with (as the official TypeScript SDK does).
const (
	codeParseError     = -32700
	codeInvalidRequest = -32600
	codeMethodNotFound = -32601
	codeInvalidParams  = -32602
	codeInternalError  = -32603
	// codeBadRequest: an HTTP request the transport refuses (no session,
	// wrong media type).
	codeBadRequest = -32000
	// codeSessionNotFound: the session ended, expired or is another key's.
	codeSessionNotFound = -32001
)

// rpcMessage is one JSON-RPC message as received: a request (ID set), a
// notification (no ID) or a response to a request of the server.
type rpcMessage struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id,omitempty"`
	Method  string          `json:"method,omitempty"`
	Params  json.RawMessage `json:"params,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   json.RawMessage `json:"error,omitempty"`
}

// isCall reports whether m expects a response.
func (m *rpcMessage) isCall() bool { return m.ID != nil }

// isResponse reports whether m answers a request of the server.
func (m *rpcMessage) isResponse() bool { return m.Method == "" && (m.Result != nil || m.Error != nil) }

// rpcError is a JSON-RPC error object.
type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

func (e *rpcError) Error() string { return e.Message }

// rpcResponse is a JSON-RPC response.
type rpcResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  any             `json:"result,omitempty"`
	Error   *rpcError       `json:"error,omitempty"`
}

// parseMessage decodes a single JSON-RPC message. It returns the message
// (when it could be decoded) and the error to answer with, if any: -32700
// for text that is not JSON, -32600 for JSON that is not a valid message.
func parseMessage(body []byte) (*rpcMessage, *rpcError) {
	if !json.Valid(body) {
		return nil, &rpcError{Code: codeParseError, Message: "Parse error: the body is not valid JSON"}
	}
	var m rpcMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, &rpcError{Code: codeInvalidRequest, Message: "Invalid Request: the body is not a JSON-RPC 2.0 message object"}
	}
	if m.JSONRPC != "2.0" {
		return &m, &rpcError{Code: codeInvalidRequest, Message: `Invalid Request: "jsonrpc" must be "2.0"`}
	}
	if m.ID != nil && !validID(m.ID) {
		m.ID = nil
		return &m, &rpcError{Code: codeInvalidRequest, Message: "Invalid Request: id must be a string or an integer"}
	}
	if m.Method == "" && !m.isResponse() {
		return &m, &rpcError{Code: codeInvalidRequest, Message: `Invalid Request: "method" is missing`}
	}
	return &m, nil
}

// validID reports whether a request ID is a string or an integer (MCP
// forbids null).
func validID(id json.RawMessage) bool {
	var v any
	dec := json.NewDecoder(bytes.NewReader(id))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return false
	}
	switch v := v.(type) {
	case string:
		return len(v) <= maxRequestIDBytes
	case json.Number:
		_, err := v.Int64()
		return err == nil
	}
	return false
}

// maxRequestIDBytes bounds a string request ID.
const maxRequestIDBytes = 256

// isBatch reports whether body is a JSON array (a JSON-RPC batch).
func isBatch(body []byte) bool {
	body = bytes.TrimLeft(body, " \t\r\n")
	return len(body) > 0 && body[0] == '['
}

// writeResult answers a request with a result (HTTP 200, application/json).
func writeResult(w http.ResponseWriter, id json.RawMessage, result any) {
	writeResponse(w, http.StatusOK, &rpcResponse{JSONRPC: "2.0", ID: id, Result: result})
}

// writeError answers with a JSON-RPC error and an HTTP status: 200 for an
// error of the request itself, 4xx for one of the HTTP transport. A missing
// id is null.
func writeError(w http.ResponseWriter, status int, id json.RawMessage, e *rpcError) {
	writeResponse(w, status, &rpcResponse{JSONRPC: "2.0", ID: id, Error: e})
}

func writeResponse(w http.ResponseWriter, status int, resp *rpcResponse) {
	if resp.ID == nil {
		resp.ID = json.RawMessage("null")
	}
	body, err := json.Marshal(resp)
	if err != nil {
		body, _ = json.Marshal(&rpcResponse{JSONRPC: "2.0", ID: resp.ID, Error: &rpcError{Code: codeInternalError, Message: "Internal error"}})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
