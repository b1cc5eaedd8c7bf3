package tools

import "strings"

// Origin records the OpenAPI operation an imported tool was made from. The
// import (POST /v1/admin/imports/openapi) sets it, and importing the same
// document again through the same connection updates the draft whose
// origin matches each operation instead of making a new tool. It has no
// effect on calls; removing it detaches the tool from later imports.
type Origin struct {
	// OperationID is the operation's operationId ("" when it has none).
	OperationID string `json:"operation_id,omitempty" jsonschema_description:"The operation's operationId (absent when it has none)."`
	// Method is the operation's HTTP method, upper case.
	Method string `json:"method" jsonschema_description:"The operation's HTTP method."`
	// Path is the operation's path template as the document writes it
	// ("/repos/{owner}/{repo}").
	Path string `json:"path" jsonschema_description:"The operation's path as the document writes it (/repos/{owner}/{repo})."`
}

// Key identifies the operation within its document: its operationId, or
// its method and path when it has none.
func (o *Origin) Key() string {
	if o.OperationID != "" {
		return "operation " + o.OperationID
	}
	return "route " + strings.ToUpper(o.Method) + " " + o.Path
}
