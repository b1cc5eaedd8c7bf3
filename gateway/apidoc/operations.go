package apidoc

import (
	"reflect"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/flows"
	"github.com/toolgate/toolgate/tools"
)

// Who may call a route.
const (
	authAdmin   = "adminKey"       // an admin key
	authAgent   = "agentKey"       // an agent key
	authSession = "consoleSession" // a console session cookie
	authNone    = ""               // no toolgate credential
)

// body is the content of a request or response: a component (typ), a
// list of components, or an inline schema.
type body struct {
	mediaType string
	typ       reflect.Type
	list      bool
	schema    string // inline JSON Schema, when typ is nil
}

func jsonOf[T any]() *body { return &body{mediaType: "application/json", typ: reflect.TypeFor[T]()} }

func listOf[T any]() *body {
	return &body{mediaType: "application/json", typ: reflect.TypeFor[T](), list: true}
}

func inline(mediaType, schema string) *body { return &body{mediaType: mediaType, schema: schema} }

// mergePatch is the body of the PATCH routes: a JSON merge patch (RFC 7386)
// of the object.
func mergePatch(of string) *body {
	return inline("application/json", `{"type":"object","description":"A JSON merge patch (RFC 7386) of the `+of+`: members given replace the current ones, null removes one."}`)
}

var (
	html      = inline("text/html", `{"type":"string"}`)
	anyJSON   = inline("application/json", `{}`)
	noContent = (*body)(nil)
)

// param is a query parameter or header of a route.
type param struct {
	name, in, description, schema string
}

var (
	listParams = []param{
		{"limit", "query", "Items per page, 1 to 500 (default 50).", `{"type":"integer","minimum":1,"maximum":500,"default":50}`},
		{"cursor", "query", "The next_cursor of the previous page.", `{"type":"string"}`},
	}
	runFilters = append(listParams[:2:2],
		param{"tool", "query", "Only runs of this tool (name).", `{"type":"string"}`},
		param{"agent", "query", "Only runs of this agent (id).", `{"type":"string"}`},
		param{"outcome", "query", "Only runs with this outcome.", `{"type":"string"}`},
		param{"status", "query", "Only runs with this status.", `{"type":"string","enum":["queued","running","succeeded","failed"]}`},
		param{"conversation", "query", "Only runs of this conversation.", `{"type":"string"}`},
		param{"since", "query", "Only runs created at or after this time (RFC 3339).", `{"type":"string","format":"date-time"}`},
		param{"until", "query", "Only runs created before this time (RFC 3339).", `{"type":"string","format":"date-time"}`},
	)
	idempotencyKey = param{"Idempotency-Key", "header", "Makes the call idempotent: a second call with the key answers the first call's run.", `{"type":"string","maxLength":255}`}
)

// route is one operation of the REST API.
type route struct {
	method, path     string // path as OpenAPI writes it: /v1/admin/tools/{id}
	id, tag, summary string
	auth             string
	params           []param
	request          *body
	status           int // the success status
	response         *body
	// also are other success statuses and what they mean.
	also map[int]string
	// served is the route that serves it, as the server registers it
	// (OpenAPI form), when that is not path: the flows runtime tells its
	// routes apart under one wildcard, so that a flow's name may be any text.
	served string
}

// routes are every route the gateway serves. A test checks them against
// the routes the server registers.
var routes = []route{
	// Operations.
	{method: "GET", path: "/healthz", id: "health", tag: "operations", summary: "Liveness: 200 while the process serves.", status: 200, response: jsonOf[health]()},
	{method: "GET", path: "/readyz", id: "ready", tag: "operations", summary: "Readiness, for load balancers: 200 when the store answers and has every migration applied, else 503.", status: 200, response: jsonOf[health](),
		also: map[int]string{503: "Not ready: the store does not answer or lacks migrations."}},
	{method: "GET", path: "/metrics", id: "metrics", tag: "operations", auth: authAdmin, summary: "Prometheus metrics (without a key when TOOLGATE_METRICS_PUBLIC is set).", status: 200, response: inline("text/plain", `{"type":"string"}`)},
	{method: "GET", path: "/v1/openapi.json", id: "openapi", tag: "operations", summary: "This document.", status: 200, response: anyJSON},
	{method: "GET", path: "/v1/schemas/tool.json", id: "schemaTool", tag: "schemas", summary: "The JSON Schema of a tool definition.", status: 200, response: inline("application/schema+json", `{}`)},
	{method: "GET", path: "/v1/schemas/connection.json", id: "schemaConnection", tag: "schemas", summary: "The JSON Schema of a connection.", status: 200, response: inline("application/schema+json", `{}`)},
	{method: "GET", path: "/v1/schemas/agent.json", id: "schemaAgent", tag: "schemas", summary: "The JSON Schema of an agent.", status: 200, response: inline("application/schema+json", `{}`)},
	{method: "GET", path: "/v1/schemas/flow.json", id: "schemaFlow", tag: "schemas", summary: "The JSON Schema of a conversation flow's definition.", status: 200, response: inline("application/schema+json", `{}`)},

	// Admin: workspace and keys.
	{method: "GET", path: "/v1/admin/workspace", id: "getWorkspace", tag: "admin", auth: authAdmin, summary: "The workspace, with how to verify its signed callbacks.", status: 200, response: jsonOf[admin.Workspace]()},
	{method: "POST", path: "/v1/admin/keys", id: "createKey", tag: "admin", auth: authAdmin, summary: "Create an admin or agent key; its plaintext is shown this once.", request: jsonOf[admin.KeyInput](), status: 201, response: jsonOf[admin.Key]()},
	{method: "GET", path: "/v1/admin/keys", id: "listKeys", tag: "admin", auth: authAdmin, summary: "List the workspace's keys.", params: listParams, status: 200, response: listOf[admin.Key]()},
	{method: "DELETE", path: "/v1/admin/keys/{id}", id: "revokeKey", tag: "admin", auth: authAdmin, summary: "Revoke a key.", status: 204, response: noContent},
	{method: "PATCH", path: "/v1/admin/workspace", id: "patchWorkspace", tag: "admin", auth: authAdmin, summary: "Change the workspace's settings (the approval webhook).", request: jsonOf[admin.WorkspacePatch](), status: 200, response: jsonOf[admin.Workspace]()},

	// Admin: human approval.
	{method: "GET", path: "/v1/admin/approvals", id: "listApprovals", tag: "runs", auth: authAdmin, summary: "The approval queue (?status=pending, approved, rejected, expired or all).", params: listParams, status: 200, response: listOf[admin.ApprovalItem]()},
	{method: "POST", path: "/v1/admin/runs/{id}/approve", id: "approveRun", tag: "runs", auth: authAdmin, summary: "Approve a run awaiting approval: it runs as a background run.", request: anyJSON, status: 200, response: jsonOf[admin.Approval]()},
	{method: "POST", path: "/v1/admin/runs/{id}/reject", id: "rejectRun", tag: "runs", auth: authAdmin, summary: "Reject a run awaiting approval ({\"reason\"}): it ends with outcome rejected.", request: anyJSON, status: 200, response: jsonOf[admin.Approval]()},

	// Admin: connections.
	{method: "POST", path: "/v1/admin/connections", id: "createConnection", tag: "connections", auth: authAdmin, summary: "Create a connection.", request: jsonOf[admin.ConnectionInput](), status: 201, response: jsonOf[admin.Connection]()},
	{method: "GET", path: "/v1/admin/connections", id: "listConnections", tag: "connections", auth: authAdmin, summary: "List the workspace's connections.", params: listParams, status: 200, response: listOf[admin.Connection]()},
	{method: "GET", path: "/v1/admin/connections/{id}", id: "getConnection", tag: "connections", auth: authAdmin, summary: "Get a connection (secrets show only whether they are set).", status: 200, response: jsonOf[admin.Connection]()},
	{method: "PATCH", path: "/v1/admin/connections/{id}", id: "patchConnection", tag: "connections", auth: authAdmin, summary: "Change a connection; secrets are merged (null deletes one).", request: mergePatch("connection"), status: 200, response: jsonOf[admin.Connection]()},
	{method: "DELETE", path: "/v1/admin/connections/{id}", id: "deleteConnection", tag: "connections", auth: authAdmin, summary: "Delete a connection.", status: 204, response: noContent},
	{method: "POST", path: "/v1/admin/connections/{id}/oauth/authorize", id: "authorizeConnection", tag: "connections", auth: authAdmin, summary: "Start the OAuth2 authorization-code flow of a connection.", status: 200, response: jsonOf[authorizeURL]()},
	{method: "POST", path: "/v1/admin/connections/{id}/oauth/refresh", id: "refreshConnection", tag: "connections", auth: authAdmin, summary: "Refresh a connection's OAuth2 token now.", status: 200, response: jsonOf[admin.Connection]()},
	{method: "DELETE", path: "/v1/admin/connections/{id}/oauth", id: "forgetConnectionTokens", tag: "connections", auth: authAdmin, summary: "Delete a connection's OAuth2 tokens.", status: 204, response: noContent},

	// Admin: tools.
	{method: "POST", path: "/v1/admin/tools", id: "createTool", tag: "tools", auth: authAdmin, summary: "Create a tool's draft.", request: jsonOf[tools.Definition](), status: 201, response: jsonOf[admin.Tool]()},
	{method: "GET", path: "/v1/admin/tools", id: "listTools", tag: "tools", auth: authAdmin, summary: "List the workspace's tools (drafts and publication state).", params: listParams, status: 200, response: listOf[admin.Tool]()},
	{method: "GET", path: "/v1/admin/tools/{id}", id: "getTool", tag: "tools", auth: authAdmin, summary: "Get a tool's draft and publication state.", status: 200, response: jsonOf[admin.Tool]()},
	{method: "PATCH", path: "/v1/admin/tools/{id}", id: "patchTool", tag: "tools", auth: authAdmin, summary: "Change a tool's draft; published versions never change.", request: mergePatch("tool definition"), status: 200, response: jsonOf[admin.Tool]()},
	{method: "DELETE", path: "/v1/admin/tools/{id}", id: "deleteTool", tag: "tools", auth: authAdmin, summary: "Delete a tool and its versions.", status: 204, response: noContent},
	{method: "POST", path: "/v1/admin/tools/{id}/validate", id: "validateTool", tag: "tools", auth: authAdmin, summary: "Validate a tool's draft against the workspace's connections.", status: 200, response: jsonOf[tools.Report]()},
	{method: "POST", path: "/v1/admin/tools/{id}/publish", id: "publishTool", tag: "tools", auth: authAdmin, summary: "Publish a tool's draft as its next immutable version (422 with the errors when it is invalid).", status: 200, response: jsonOf[admin.Published]()},
	{method: "GET", path: "/v1/admin/tools/{id}/versions", id: "listToolVersions", tag: "tools", auth: authAdmin, summary: "List a tool's published versions, oldest first.", status: 200, response: listOf[admin.ToolVersion]()},
	{method: "POST", path: "/v1/admin/tools/{id}/test", id: "testTool", tag: "tools", auth: authAdmin, summary: "Run a tool's draft (or render it, with dry_run).", request: jsonOf[testRequest](), status: 200, response: jsonOf[tools.Result](),
		also: map[int]string{202: "A background run was queued.", 422: "The arguments are invalid (the result says which)."}},
	{method: "POST", path: "/v1/admin/imports/openapi", id: "importOpenAPI", tag: "tools", auth: authAdmin,
		summary: "Import an OpenAPI 3.0, 3.1 or Swagger 2.0 document's operations as draft tools (a body of up to 40 MiB); 422 names the line or JSON pointer of a document that cannot be read.",
		request: jsonOf[admin.ImportOpenAPIRequest](), status: 200, response: jsonOf[admin.ImportReport]()},

	// Admin: agents.
	{method: "POST", path: "/v1/admin/agents", id: "createAgent", tag: "agents", auth: authAdmin, summary: "Create an agent.", request: jsonOf[admin.AgentInput](), status: 201, response: jsonOf[admin.Agent]()},
	{method: "GET", path: "/v1/admin/agents", id: "listAgents", tag: "agents", auth: authAdmin, summary: "List the workspace's agents.", params: listParams, status: 200, response: listOf[admin.Agent]()},
	{method: "GET", path: "/v1/admin/agents/{id}", id: "getAgent", tag: "agents", auth: authAdmin, summary: "Get an agent.", status: 200, response: jsonOf[admin.Agent]()},
	{method: "PATCH", path: "/v1/admin/agents/{id}", id: "patchAgent", tag: "agents", auth: authAdmin, summary: "Change an agent; adapters secrets are merged (null deletes one).", request: mergePatch("agent"), status: 200, response: jsonOf[admin.Agent]()},
	{method: "DELETE", path: "/v1/admin/agents/{id}", id: "deleteAgent", tag: "agents", auth: authAdmin, summary: "Delete an agent.", status: 204, response: noContent},
	{method: "GET", path: "/v1/admin/agents/{id}/export/{platform}", id: "exportAgentTools", tag: "agents", auth: authAdmin, summary: "The agent's published tools as a voice platform's tool definitions (vapi, retell, elevenlabs), pointing at the adapter URLs.", status: 200, response: anyJSON},

	// Admin: an agent's conversation flows.
	{method: "GET", path: "/v1/admin/agents/{id}/flows", id: "listFlows", tag: "flows", auth: authAdmin, summary: "List the agent's flows (without their definitions) and how many it has.", params: listParams, status: 200, response: jsonOf[flowList]()},
	{method: "POST", path: "/v1/admin/agents/{id}/flows", id: "createFlow", tag: "flows", auth: authAdmin, summary: "Create a flow's draft (type conversation; meta is refused with 422; a name the agent uses is 409).", request: jsonOf[admin.FlowInput](), status: 201, response: jsonOf[admin.Flow]()},
	{method: "GET", path: "/v1/admin/agents/{id}/flows/{flow_id}", id: "getFlow", tag: "flows", auth: authAdmin, summary: "Get a flow with its draft definition.", status: 200, response: jsonOf[admin.Flow]()},
	{method: "PATCH", path: "/v1/admin/agents/{id}/flows/{flow_id}", id: "patchFlow", tag: "flows", auth: authAdmin, summary: "Rename a flow or replace its draft definition entirely; published versions never change.", request: jsonOf[admin.FlowPatch](), status: 200, response: jsonOf[admin.Flow]()},
	{method: "DELETE", path: "/v1/admin/agents/{id}/flows/{flow_id}", id: "deleteFlow", tag: "flows", auth: authAdmin, summary: "Delete a flow and its versions; its open sessions end, saying the flow was deleted.", status: 204, response: noContent},
	{method: "POST", path: "/v1/admin/agents/{id}/flows/{flow_id}/validate", id: "validateFlow", tag: "flows", auth: authAdmin, summary: "Validate a flow's draft against the workspace's connections and the agent's tools; changes nothing.", status: 200, response: jsonOf[flows.Report]()},
	{method: "POST", path: "/v1/admin/agents/{id}/flows/{flow_id}/publish", id: "publishFlow", tag: "flows", auth: authAdmin, summary: "Publish a flow's draft as its next immutable version (422 with the errors when it is invalid).", status: 200, response: jsonOf[admin.FlowPublished]()},
	{method: "GET", path: "/v1/admin/agents/{id}/flows/{flow_id}/versions", id: "listFlowVersions", tag: "flows", auth: authAdmin, summary: "List a flow's published versions, oldest first.", status: 200, response: listOf[admin.FlowVersion]()},

	// Admin: runs.
	{method: "GET", path: "/v1/admin/runs", id: "listRuns", tag: "runs", auth: authAdmin, summary: "List runs, newest first.", params: runFilters, status: 200, response: listOf[admin.Run]()},
	{method: "GET", path: "/v1/admin/runs/{id}", id: "getRun", tag: "runs", auth: authAdmin, summary: "Get a run: its redacted request, response, timings and attempts.", status: 200, response: jsonOf[admin.Run]()},
	{method: "POST", path: "/v1/admin/runs/{id}/replay", id: "replayRun", tag: "runs", auth: authAdmin, summary: "Run a run's tool version again, as a new run linked to it.", request: jsonOf[replayRequest](), status: 200, response: jsonOf[tools.Result](),
		also: map[int]string{202: "A background run was queued.", 422: "The arguments are invalid."}},

	// OAuth.
	{method: "GET", path: "/v1/oauth/callback", id: "oauthCallback", tag: "connections", summary: "Where the provider sends the admin back after authorizing a connection (a page).",
		params: []param{{"code", "query", "The authorization code.", `{"type":"string"}`}, {"state", "query", "The flow's state.", `{"type":"string"}`}}, status: 200, response: html},

	// Agents' API.
	{method: "GET", path: "/v1/tools", id: "listAgentTools", tag: "agent", auth: authAgent, summary: "The agent's published tools in a provider's function-calling shape.",
		params: []param{{"format", "query", "The listing format.", `{"type":"string","enum":["openai","openai_strict","anthropic","gemini","mcp"],"default":"openai"}`}}, status: 200, response: jsonOf[toolListing]()},
	{method: "POST", path: "/v1/tools/{name}/call", id: "callTool", tag: "agent", auth: authAgent, summary: "Call one of the agent's tools: 200 whenever the call got as far as sending, whatever the upstream said.",
		params: []param{idempotencyKey}, request: jsonOf[callRequest](), status: 200, response: jsonOf[tools.Result](),
		also: map[int]string{202: "A background run was queued.", 422: "The arguments are invalid (the result says which).", 503: "The run history cannot take the run; nothing was sent."}},
	{method: "GET", path: "/v1/runs/{id}", id: "getAgentRun", tag: "agent", auth: authAgent, summary: "Poll one of the agent's runs (a background call's result).", status: 200, response: jsonOf[tools.Result]()},
	{method: "POST", path: "/v1/tool-calls", id: "runToolCalls", tag: "agent", auth: authAgent, summary: "Run a model's tool calls (OpenAI tool_calls or Anthropic tool_uses) concurrently and answer the messages to append.", request: jsonOf[toolCallsRequest](), status: 200, response: jsonOf[toolCallsResponse]()},
	{method: "POST", path: "/v1/chat/completions", id: "chatCompletions", tag: "agent", auth: authAgent, summary: "OpenAI-compatible chat completions: the tool loop with the agent's model, instructions and tools (stream: true answers server-sent events).",
		request: anyJSON, status: 200, response: anyJSON},
	{method: "POST", path: "/mcp", id: "mcpPost", tag: "agent", auth: authAgent, summary: "MCP Streamable HTTP: JSON-RPC messages to the agent's MCP server.", request: anyJSON, status: 200, response: anyJSON},
	{method: "GET", path: "/mcp", id: "mcpGet", tag: "agent", auth: authAgent, summary: "MCP Streamable HTTP: the session's server-sent event stream.", status: 200, response: inline("text/event-stream", `{"type":"string"}`)},
	{method: "DELETE", path: "/mcp", id: "mcpDelete", tag: "agent", auth: authAgent, summary: "MCP Streamable HTTP: end the session.", status: 204, response: noContent},
	{method: "OPTIONS", path: "/mcp", id: "mcpPreflight", tag: "agent", summary: "CORS preflight of browser-based MCP clients (origins in TOOLGATE_CORS_ORIGINS), answered before authentication.", status: 204, response: noContent},

	// Conversation flows' runtime (the agent's key).
	{method: "POST", path: "/v1/flows/{flow_name}/sessions", served: "/v1/flows/{path}", id: "startFlowSession", tag: "flows", auth: authAgent,
		summary: "Start a session of one of the agent's published flows and run its first turn (409 flow_not_published for a flow never published).",
		request: jsonOf[flowStartRequest](), status: 201, response: jsonOf[flows.Turn]()},
	{method: "POST", path: "/v1/flows/sessions/{session_id}/messages", served: "/v1/flows/{path}", id: "sendFlowMessage", tag: "flows", auth: authAgent,
		summary: "Apply the user's message to a session: one turn (409 session_closed once the session ended or failed).",
		request: jsonOf[flowMessageRequest](), status: 200, response: jsonOf[flows.Turn]()},
	{method: "GET", path: "/v1/flows/sessions/{session_id}", served: "/v1/flows/{path}", id: "getFlowSession", tag: "flows", auth: authAgent,
		summary: "A session with its history: states entered, messages shown, inputs, API calls.", status: 200, response: jsonOf[flows.Session]()},

	// Voice platforms (authenticated with the platform's own credential).
	{method: "POST", path: "/v1/adapters/{platform}/{agent_id}", id: "voiceWebhook", tag: "voice", summary: "A voice platform's tool-call webhook (vapi, retell, elevenlabs), authenticated with the agent's platform secret.", request: anyJSON, status: 200, response: anyJSON},
	{method: "POST", path: "/v1/adapters/{platform}/{agent_id}/{tool}", id: "voiceToolWebhook", tag: "voice", summary: "A voice platform's webhook for one tool.", request: anyJSON, status: 200, response: anyJSON},

	// The console's pages (html/template, CSRF-protected forms).
	{method: "GET", path: "/ui", id: "uiHome", tag: "console", summary: "Redirects to the runs page.", status: 303, response: noContent},
	{method: "GET", path: "/ui/static/{file}", id: "uiStatic", tag: "console", summary: "The console's static files.", status: 200, response: inline("*/*", `{"type":"string"}`)},
	{method: "GET", path: "/ui/signin", id: "uiSignInForm", tag: "console", summary: "The sign-in page.", status: 200, response: html},
	{method: "POST", path: "/ui/signin", id: "uiSignIn", tag: "console", summary: "Sign in with an admin key.", request: inline("application/x-www-form-urlencoded", `{"type":"object"}`), status: 303, response: noContent},
	{method: "POST", path: "/ui/signout", id: "uiSignOut", tag: "console", auth: authSession, summary: "Sign out.", status: 303, response: noContent},
	{method: "GET", path: "/ui/runs", id: "uiRuns", tag: "console", auth: authSession, summary: "The runs page.", status: 200, response: html},
	{method: "GET", path: "/ui/runs-rows", id: "uiRunRows", tag: "console", auth: authSession, summary: "More rows of the runs page.", status: 200, response: html},
	{method: "GET", path: "/ui/runs/{id}", id: "uiRun", tag: "console", auth: authSession, summary: "A run's page.", status: 200, response: html},
	{method: "POST", path: "/ui/runs/{id}/replay", id: "uiReplay", tag: "console", auth: authSession, summary: "Replay a run.", status: 303, response: noContent},
	{method: "GET", path: "/ui/conversations/{id}", id: "uiConversation", tag: "console", auth: authSession, summary: "A conversation's runs.", status: 200, response: html},
	{method: "GET", path: "/ui/tools", id: "uiTools", tag: "console", auth: authSession, summary: "The tools page.", status: 200, response: html},
	{method: "POST", path: "/ui/tools", id: "uiCreateTool", tag: "console", auth: authSession, summary: "Create a tool.", status: 303, response: noContent},
	{method: "GET", path: "/ui/tools/{id}", id: "uiTool", tag: "console", auth: authSession, summary: "A tool's page.", status: 200, response: html},
	{method: "POST", path: "/ui/tools/{id}", id: "uiUpdateTool", tag: "console", auth: authSession, summary: "Save a tool's draft.", status: 303, response: noContent},
	{method: "POST", path: "/ui/tools/{id}/publish", id: "uiPublishTool", tag: "console", auth: authSession, summary: "Publish a tool.", status: 303, response: noContent},
	{method: "POST", path: "/ui/tools/{id}/try", id: "uiTryTool", tag: "console", auth: authSession, summary: "Try a tool's draft: a dry run's page, or the run's page.", status: 200, response: html,
		also: map[int]string{303: "The call ran: to the run's page."}},
	{method: "GET", path: "/ui/connections", id: "uiConnections", tag: "console", auth: authSession, summary: "The connections page.", status: 200, response: html},
	{method: "POST", path: "/ui/connections/{id}/connect", id: "uiConnect", tag: "console", auth: authSession, summary: "Start a connection's OAuth2 authorization.", status: 303, response: noContent},
	{method: "GET", path: "/ui/agents", id: "uiAgents", tag: "console", auth: authSession, summary: "The agents page.", status: 200, response: html},
	{method: "GET", path: "/ui/agents/{id}", id: "uiAgent", tag: "console", auth: authSession, summary: "An agent's page.", status: 200, response: html},
	{method: "POST", path: "/ui/agents/{id}/keys", id: "uiCreateAgentKey", tag: "console", auth: authSession, summary: "Create an agent key.", status: 200, response: html},
	{method: "POST", path: "/ui/agents/{id}/keys/{key}/revoke", id: "uiRevokeAgentKey", tag: "console", auth: authSession, summary: "Revoke an agent key.", status: 303, response: noContent},
	{method: "GET", path: "/ui/agents/{id}/flows", id: "uiFlows", tag: "console", auth: authSession, summary: "An agent's flows and recent sessions.", status: 200, response: html},
	{method: "POST", path: "/ui/agents/{id}/flows", id: "uiCreateFlow", tag: "console", auth: authSession, summary: "Create a flow's draft.", status: 303, response: noContent},
	{method: "GET", path: "/ui/agents/{id}/flows/{flow_id}", id: "uiFlow", tag: "console", auth: authSession, summary: "A flow's page: validation, versions, draft, sessions.", status: 200, response: html},
	{method: "POST", path: "/ui/agents/{id}/flows/{flow_id}", id: "uiUpdateFlow", tag: "console", auth: authSession, summary: "Save a flow's draft.", status: 303, response: noContent},
	{method: "POST", path: "/ui/agents/{id}/flows/{flow_id}/publish", id: "uiPublishFlow", tag: "console", auth: authSession, summary: "Publish a flow.", status: 303, response: noContent},
	{method: "POST", path: "/ui/agents/{id}/flows/{flow_id}/delete", id: "uiDeleteFlow", tag: "console", auth: authSession, summary: "Delete a flow.", status: 303, response: noContent},
	{method: "GET", path: "/ui/flow-sessions/{id}", id: "uiFlowSession", tag: "console", auth: authSession, summary: "A flow session's page: states visited, messages, inputs, runs.", status: 200, response: html},
	{method: "GET", path: "/ui/approvals", id: "uiApprovals", tag: "console", auth: authSession, summary: "The approval queue.", status: 200, response: html},
	{method: "POST", path: "/ui/approvals/{id}/approve", id: "uiApprove", tag: "console", auth: authSession, summary: "Approve a run.", status: 303, response: noContent},
	{method: "POST", path: "/ui/approvals/{id}/reject", id: "uiReject", tag: "console", auth: authSession, summary: "Reject a run.", status: 303, response: noContent},
	{method: "GET", path: "/ui/dashboard", id: "uiDashboard", tag: "console", auth: authSession, summary: "The dashboard: calls per minute, outcome mix and latency per tool and agent.", status: 200, response: html},
	{method: "POST", path: "/ui/tools-validate", id: "uiValidateTool", tag: "console", auth: authSession, summary: "Validate an edited tool definition without saving it (the editor's live report).", request: anyJSON, status: 200, response: jsonOf[tools.Report]()},
	{method: "GET", path: "/ui/tools/{id}/delete", id: "uiConfirmDeleteTool", tag: "console", auth: authSession, summary: "Confirm deleting a tool.", status: 200, response: html},
	{method: "POST", path: "/ui/tools/{id}/delete", id: "uiDeleteTool", tag: "console", auth: authSession, summary: "Delete a tool.", status: 303, response: noContent},
	{method: "POST", path: "/ui/connections", id: "uiCreateConnection", tag: "console", auth: authSession, summary: "Create a connection.", status: 303, response: noContent},
	{method: "GET", path: "/ui/connections/new", id: "uiNewConnection", tag: "console", auth: authSession, summary: "The new-connection form.", status: 200, response: html},
	{method: "GET", path: "/ui/connections/{id}", id: "uiConnection", tag: "console", auth: authSession, summary: "A connection's page and form (secrets write-only).", status: 200, response: html},
	{method: "POST", path: "/ui/connections/{id}", id: "uiUpdateConnection", tag: "console", auth: authSession, summary: "Save a connection.", status: 303, response: noContent},
	{method: "GET", path: "/ui/connections/{id}/delete", id: "uiConfirmDeleteConnection", tag: "console", auth: authSession, summary: "Confirm deleting a connection.", status: 200, response: html},
	{method: "POST", path: "/ui/connections/{id}/delete", id: "uiDeleteConnection", tag: "console", auth: authSession, summary: "Delete a connection.", status: 303, response: noContent},
	{method: "POST", path: "/ui/agents", id: "uiCreateAgent", tag: "console", auth: authSession, summary: "Create an agent.", status: 303, response: noContent},
	{method: "POST", path: "/ui/agents/{id}", id: "uiUpdateAgent", tag: "console", auth: authSession, summary: "Save an agent.", status: 303, response: noContent},
	{method: "GET", path: "/ui/agents/{id}/delete", id: "uiConfirmDeleteAgent", tag: "console", auth: authSession, summary: "Confirm deleting an agent.", status: 200, response: html},
	{method: "POST", path: "/ui/agents/{id}/delete", id: "uiDeleteAgent", tag: "console", auth: authSession, summary: "Delete an agent.", status: 303, response: noContent},
	{method: "GET", path: "/ui/agents/{id}/keys/{key}/revoke", id: "uiConfirmRevokeAgentKey", tag: "console", auth: authSession, summary: "Confirm revoking an agent key.", status: 200, response: html},
	{method: "GET", path: "/ui/keys", id: "uiKeys", tag: "console", auth: authSession, summary: "The keys page.", status: 200, response: html},
	{method: "POST", path: "/ui/keys", id: "uiCreateAdminKey", tag: "console", auth: authSession, summary: "Create an admin key (shown once).", status: 200, response: html},
	{method: "GET", path: "/ui/keys/{id}/revoke", id: "uiConfirmRevokeKey", tag: "console", auth: authSession, summary: "Confirm revoking a key.", status: 200, response: html},
	{method: "POST", path: "/ui/keys/{id}/revoke", id: "uiRevokeKey", tag: "console", auth: authSession, summary: "Revoke a key.", status: 303, response: noContent},
}
