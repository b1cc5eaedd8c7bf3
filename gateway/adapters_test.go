package gateway_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/toolgate/toolgate/prompts"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/testdb"
)

// The fixtures in testdata/adapters are written from each platform's
// public documentation (see the comments of adapters_*.go for sources).

const (
	vapiSecret       = "vapi-server-secret-123"
	retellAPIKey     = "key_retell_webhook_badge_456"
	elevenLabsSecret = "el-tool-secret-789"
)

func TestVoiceAdapters(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newStore func(testing.TB) store.Store) {
		t.Run("admin", func(t *testing.T) { testAdapterAdmin(t, newEnv(t, newStore)) })
		t.Run("vapi", func(t *testing.T) { testVapi(t, newVoiceEnv(t, newEnv(t, newStore))) })
		t.Run("retell", func(t *testing.T) { testRetell(t, newVoiceEnv(t, newEnv(t, newStore))) })
		t.Run("elevenlabs", func(t *testing.T) { testElevenLabs(t, newVoiceEnv(t, newEnv(t, newStore))) })
		t.Run("unauthorized", func(t *testing.T) { testAdapterUnauthorized(t, newVoiceEnv(t, newEnv(t, newStore))) })
		t.Run("background", func(t *testing.T) {
			testAdapterBackground(t, newVoiceEnv(t, newEnv(t, newStore, envOptions{background: true})))
		})
		t.Run("export", func(t *testing.T) { testAdapterExport(t, newVoiceEnv(t, newEnv(t, newStore))) })
		t.Run("export conversions", func(t *testing.T) { testAdapterExportConversions(t, newEnv(t, newStore)) })
	})
}

// voiceEnv is a gateway with get_order (succeeds), broken_order (the
// upstream answers 500) and an agent that has both and all three
// platforms configured.
type voiceEnv struct {
	*env
	up      *upstream
	agentID string
}

func newVoiceEnv(t *testing.T, e *env) *voiceEnv {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasPrefix(r.URL.Path, "/broken") {
			http.Error(w, "boom", http.StatusInternalServerError)
			return true
		}
		return false
	})
	e.must(201, "POST", "/v1/admin/connections", e.admin, map[string]any{
		"name": "backend", "base_url": up.URL + "/api", "auth": map[string]any{"type": "bearer"},
		"secrets": map[string]any{"token": "tok-123456"}})
	orderSchema := map[string]any{"type": "object", "properties": map[string]any{
		"order_id": map[string]any{"type": "string", "description": "The order id the caller gave."}},
		"required": []string{"order_id"}}
	e.publishTool(map[string]any{
		"name": "get_order", "description": "Look up an order's status and ETA once the caller gave the order id.",
		"method": "GET", "connection": "backend", "path": "/orders/{{args.order_id}}",
		"input_schema": orderSchema, "response": map[string]any{"select": []string{"order.status", "order.eta"}},
	})
	e.publishTool(map[string]any{
		"name": "broken_order", "description": "Look up an order in the old system once the caller gave the order id.",
		"method": "GET", "url": up.URL + "/broken/{{args.order_id}}", "input_schema": orderSchema,
	})
	a := e.must(201, "POST", "/v1/admin/agents", e.admin, map[string]any{
		"name": "phone-bot", "tools": []map[string]any{{"name": "get_order"}, {"name": "broken_order"}},
		"adapters": map[string]any{
			"vapi": map[string]any{"secret": vapiSecret}, "retell": map[string]any{"api_key": retellAPIKey},
			"elevenlabs": map[string]any{"secret": elevenLabsSecret}}})
	return &voiceEnv{env: e, up: up, agentID: a.str("id")}
}

// fixture reads testdata/adapters/name.
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "adapters", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// post sends body to path with the given headers and no toolgate key.
func (e *env) post(path string, body []byte, headers map[string]string) *response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.server.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := e.server.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r := &response{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// signRetell signs as Retell's SDK does: v=<ms>,d=hex(HMAC-SHA256(key, body+ms)).
func signRetell(body []byte, key string, at time.Time) string {
	stamp := strconv.FormatInt(at.UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write(body)
	mac.Write([]byte(stamp))
	return "v=" + stamp + ",d=" + hex.EncodeToString(mac.Sum(nil))
}

type vapiAnswer struct {
	Results []struct {
		Name       string  `json:"name"`
		ToolCallID string  `json:"toolCallId"`
		Result     *string `json:"result"`
		Error      *string `json:"error"`
		Message    *struct {
			Type, Role, Content string
		} `json:"message"`
	} `json:"results"`
}

func decodeVapi(t *testing.T, r *response) vapiAnswer {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("vapi status %d, want 200; body %s", r.status, r.raw)
	}
	var a vapiAnswer
	if err := json.Unmarshal(r.raw, &a); err != nil {
		t.Fatalf("vapi body %s: %v", r.raw, err)
	}
	for _, res := range a.Results {
		if res.Name == "" {
			t.Errorf("vapi result %s has no name", res.ToolCallID)
		}
		for _, s := range []*string{res.Result, res.Error} {
			if s != nil && strings.ContainsAny(*s, "\r\n\u2028\u2029") {
				t.Errorf("vapi string %q is not single-line", *s)
			}
		}
	}
	return a
}

func testAdapterAdmin(t *testing.T, e *env) {
	r := e.must(201, "POST", "/v1/admin/agents", e.admin, map[string]any{"name": "a",
		"adapters": map[string]any{"vapi": map[string]any{"secret": "s3cret-vapi"}}})
	id := r.str("id")
	want := map[string]any{
		"vapi":       map[string]any{"secret": map[string]any{"set": true}},
		"retell":     map[string]any{"api_key": map[string]any{"set": false}},
		"elevenlabs": map[string]any{"secret": map[string]any{"set": false}},
	}
	if diff := cmp.Diff(want, r.at("adapters")); diff != "" {
		t.Errorf("created adapters (-want +got):\n%s", diff)
	}
	// Merge: setting Retell keeps Vapi; the values never come back.
	r = e.must(200, "PATCH", "/v1/admin/agents/"+id, e.admin, map[string]any{"adapters": map[string]any{"retell": map[string]any{"api_key": "key_r"}}})
	want["retell"] = map[string]any{"api_key": map[string]any{"set": true}}
	if diff := cmp.Diff(want, r.at("adapters")); diff != "" {
		t.Errorf("patched adapters (-want +got):\n%s", diff)
	}
	for _, path := range []string{"/v1/admin/agents/" + id, "/v1/admin/agents"} {
		if raw := e.must(200, "GET", path, e.admin, nil).raw; bytes.Contains(raw, []byte("s3cret-vapi")) || bytes.Contains(raw, []byte("key_r")) {
			t.Errorf("GET %s shows a secret: %s", path, raw)
		}
	}
	// Sealed at rest.
	a, err := e.store.AgentGet(t.Context(), mustWorkspace(t, e), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Adapters) == 0 || bytes.Contains(a.Adapters, []byte("s3cret-vapi")) {
		t.Errorf("stored adapters = %q, want sealed", a.Adapters)
	}
	// A patch of other fields keeps the secrets.
	r = e.must(200, "PATCH", "/v1/admin/agents/"+id, e.admin, map[string]any{"instructions": "Be brief."})
	if diff := cmp.Diff(want, r.at("adapters")); diff != "" {
		t.Errorf("adapters after unrelated patch (-want +got):\n%s", diff)
	}
	// null deletes a secret, a platform, or all of them.
	r = e.must(200, "PATCH", "/v1/admin/agents/"+id, e.admin, map[string]any{"adapters": map[string]any{"vapi": map[string]any{"secret": nil}}})
	want["vapi"] = map[string]any{"secret": map[string]any{"set": false}}
	if diff := cmp.Diff(want, r.at("adapters")); diff != "" {
		t.Errorf("after deleting vapi.secret (-want +got):\n%s", diff)
	}
	r = e.must(200, "PATCH", "/v1/admin/agents/"+id, e.admin, map[string]any{"adapters": map[string]any{"retell": nil}})
	want["retell"] = map[string]any{"api_key": map[string]any{"set": false}}
	if diff := cmp.Diff(want, r.at("adapters")); diff != "" {
		t.Errorf("after deleting retell (-want +got):\n%s", diff)
	}
	e.must(200, "PATCH", "/v1/admin/agents/"+id, e.admin, map[string]any{"adapters": map[string]any{"elevenlabs": map[string]any{"secret": "x"}}})
	e.must(200, "PATCH", "/v1/admin/agents/"+id, e.admin, `{"adapters": null}`)
	if a, err := e.store.AgentGet(t.Context(), mustWorkspace(t, e), id); err != nil || a.Adapters != nil {
		t.Errorf("after adapters: null, stored adapters = %q (%v), want nil", a.Adapters, err)
	}
	// Invalid settings name the field.
	for _, body := range []string{
		`{"adapters": {"twilio": {"secret": "x"}}}`,
		`{"adapters": {"vapi": {"api_key": "x"}}}`,
		`{"adapters": {"vapi": {"secret": ""}}}`,
		`{"adapters": {"vapi": {"secret": 7}}}`,
		`{"adapters": {"vapi": "x"}}`,
		`{"adapters": []}`,
	} {
		if r := e.do("PATCH", "/v1/admin/agents/"+id, e.admin, body); r.status != 422 || r.str("error.type") != "validation_failed" {
			t.Errorf("PATCH %s: %d %s, want 422 validation_failed", body, r.status, r.raw)
		}
		if r := e.do("POST", "/v1/admin/agents", e.admin, strings.Replace(body, "{", `{"name": "bad",`, 1)); r.status != 422 {
			t.Errorf("POST %s: %d %s, want 422", body, r.status, r.raw)
		}
	}
}

func testVapi(t *testing.T, e *voiceEnv) {
	path := "/v1/adapters/vapi/" + e.agentID
	auth := map[string]string{"X-Vapi-Secret": vapiSecret}

	// Success: the shaped result as a single-line string; the caller's
	// number and the call id in the run context.
	a := decodeVapi(t, e.post(path, fixture(t, "vapi_tool_calls.json"), auth))
	if len(a.Results) != 1 || a.Results[0].ToolCallID != "toolu_01DTPAzUm5Gk3zxrpJ969oMF" || a.Results[0].Result == nil || a.Results[0].Error != nil ||
		a.Results[0].Name != "get_order" || a.Results[0].Message != nil {
		t.Fatalf("results = %+v", a.Results)
	}
	var result map[string]any
	if err := json.Unmarshal([]byte(*a.Results[0].Result), &result); err != nil || result["order.status"] != "shipped" {
		t.Errorf("result = %q, want the selected fields as JSON (%v)", *a.Results[0].Result, err)
	}
	seen := e.up.last(t)
	if seen.Path != "/api/orders/A-17" {
		t.Errorf("upstream path = %s", seen.Path)
	}
	for h, want := range map[string]string{"X-Toolgate-User-Id": "+14155550123", "X-Toolgate-Channel": "voice",
		"X-Toolgate-Agent-Id": e.agentID, "Authorization": "Bearer tok-123456"} {
		if got := strings.Join(seen.Header[h], ","); got != want {
			t.Errorf("upstream %s = %q, want %q", h, got, want)
		}
	}
	runs := e.must(200, "GET", "/v1/admin/runs?conversation=3a1d2b6e-6a2c-4bde-9a3b-0f7c9e1d2a44", e.admin, nil)
	items, _ := runs.at("items").([]any)
	if len(items) != 1 {
		t.Fatalf("runs of the call: %s", runs.raw)
	}
	run := e.must(200, "GET", "/v1/admin/runs/"+items[0].(map[string]any)["id"].(string), e.admin, nil)
	for k, want := range map[string]string{"user_id": "+14155550123", "conversation_id": "3a1d2b6e-6a2c-4bde-9a3b-0f7c9e1d2a44",
		"channel": "voice", "platform": "vapi", "agent_id": e.agentID} {
		if got := run.str("context." + k); got != want {
			t.Errorf("run context.%s = %q, want %q", k, got, want)
		}
	}

	// The secret as a Bearer Token credential works too.
	a = decodeVapi(t, e.post(path, fixture(t, "vapi_tool_calls.json"), map[string]string{"Authorization": "Bearer " + vapiSecret}))
	if len(a.Results) != 1 || a.Results[0].Result == nil {
		t.Errorf("bearer credential: %+v", a.Results)
	}

	// toolWithToolCallList only.
	a = decodeVapi(t, e.post(path, fixture(t, "vapi_tool_with_tool_call_list.json"), auth))
	if len(a.Results) != 1 || a.Results[0].ToolCallID != "call_Xk2JqYd0aBcD3eFgH4iJ5kL6" || a.Results[0].Result == nil {
		t.Errorf("toolWithToolCallList: %+v", a.Results)
	}

	// Several calls (OpenAI form, string arguments) run, answered in order;
	// invalid arguments come back as the result, for the assistant to ask
	// the caller; nothing is sent upstream for them.
	before := e.up.hits.Load()
	a = decodeVapi(t, e.post(path, fixture(t, "vapi_tool_calls_openai.json"), auth))
	var ids []string
	for _, r := range a.Results {
		ids = append(ids, r.ToolCallID)
	}
	if diff := cmp.Diff([]string{"call_first", "call_second", "call_third"}, ids); diff != "" {
		t.Fatalf("result order (-want +got):\n%s", diff)
	}
	if a.Results[0].Result == nil || a.Results[1].Result == nil {
		t.Errorf("first two calls: %+v", a.Results)
	}
	if r := a.Results[2]; r.Result == nil || r.Error != nil || !strings.Contains(*r.Result, "order_id") || !strings.Contains(*r.Result, "Ask the caller") {
		t.Errorf("invalid arguments: %+v, want the model-readable message as the result", r)
	}
	if got := e.up.hits.Load() - before; got != 2 {
		t.Errorf("upstream hits = %d, want 2", got)
	}

	// Upstream failure: a single-line error the model can relay.
	body := bytes.ReplaceAll(fixture(t, "vapi_tool_calls.json"), []byte(`"get_order"`), []byte(`"broken_order"`))
	a = decodeVapi(t, e.post(path, body, auth))
	if r := a.Results[0]; r.Error == nil || r.Result != nil || !strings.Contains(*r.Error, "broken_order") {
		t.Errorf("upstream failure: %+v", r)
	}
	// A tool the agent does not have.
	body = bytes.ReplaceAll(fixture(t, "vapi_tool_calls.json"), []byte(`"get_order"`), []byte(`"delete_everything"`))
	a = decodeVapi(t, e.post(path, body, auth))
	if r := a.Results[0]; r.Error == nil || *r.Error != prompts.ToolUnavailable("delete_everything") {
		t.Errorf("unknown tool: %+v", r)
	}
	// Other server messages are acknowledged without running anything.
	before = e.up.hits.Load()
	if r := e.post(path, fixture(t, "vapi_status_update.json"), auth); r.status != 200 || string(r.raw) != "{}" {
		t.Errorf("status-update: %d %s", r.status, r.raw)
	}
	if e.up.hits.Load() != before {
		t.Error("a status-update ran a tool")
	}
	if r := e.post(path, []byte("{not json"), auth); r.status != 400 {
		t.Errorf("malformed body: %d, want 400", r.status)
	}
}

func testRetell(t *testing.T, e *voiceEnv) {
	path := "/v1/adapters/retell/" + e.agentID
	// Each request gets its own signature (a signature is good once).
	var signatures int
	signed := func(body []byte) map[string]string {
		signatures++
		return map[string]string{"X-Retell-Signature": signRetell(body, retellAPIKey, time.Now().Add(time.Duration(signatures)*time.Millisecond))}
	}
	body := fixture(t, "retell_custom_function.json")
	r := e.post(path, body, signed(body))
	if r.status != 200 || r.body["order.status"] != "shipped" {
		t.Fatalf("retell success: %d %s", r.status, r.raw)
	}
	if got := strings.Join(e.up.last(t).Header["X-Toolgate-User-Id"], ","); got != "+12137771234" {
		t.Errorf("user id = %q, want the caller's number", got)
	}
	runs := e.must(200, "GET", "/v1/admin/runs?conversation=Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6", e.admin, nil)
	if items, _ := runs.at("items").([]any); len(items) != 1 {
		t.Errorf("runs of the call: %s", runs.raw)
	}

	// Args-only payload, the tool named in the URL.
	body = fixture(t, "retell_args_only.json")
	if r := e.post(path+"?tool=get_order", body, signed(body)); r.status != 200 || r.body["order.status"] != "shipped" {
		t.Errorf("args only: %d %s", r.status, r.raw)
	}
	if r := e.post(path, body, signed(body)); r.status != 400 {
		t.Errorf("args only without ?tool: %d %s, want 400", r.status, r.raw)
	}
	// A captured signature can be neither replayed nor pointed at another tool.
	once := signed(body)
	if r := e.post(path+"?tool=get_order", body, once); r.status != 200 {
		t.Fatalf("fresh signature: %d %s", r.status, r.raw)
	}
	hits := e.up.hits.Load()
	for _, target := range []string{"?tool=get_order", "?tool=broken_order"} {
		if r := e.post(path+target, body, once); r.status != 401 {
			t.Errorf("replayed signature to %s: %d, want 401", target, r.status)
		}
	}
	// The digest decodes in any case: the same signature with its hex
	// upper-cased (or mixed) is the same request, refused too.
	stamp, digest, _ := strings.Cut(once["X-Retell-Signature"], ",d=")
	for _, d := range []string{strings.ToUpper(digest), strings.ToUpper(digest[:8]) + digest[8:]} {
		if r := e.post(path+"?tool=get_order", body, map[string]string{"X-Retell-Signature": stamp + ",d=" + d}); r.status != 401 {
			t.Errorf("replayed signature with its digest in another case: %d, want 401", r.status)
		}
	}
	if e.up.hits.Load() != hits {
		t.Errorf("a replayed request reached the upstream")
	}

	// Invalid arguments: the message as the result.
	body = bytes.Replace(fixture(t, "retell_custom_function.json"), []byte(`"order_id": "A-17"`), []byte(`"order": 17`), 1)
	r = e.post(path, body, signed(body))
	if r.status != 200 || !strings.Contains(r.str("result"), "order_id") || r.str("error") != "" {
		t.Errorf("invalid arguments: %d %s", r.status, r.raw)
	}
	// Upstream failure.
	body = bytes.Replace(fixture(t, "retell_custom_function.json"), []byte(`"get_order"`), []byte(`"broken_order"`), 1)
	r = e.post(path, body, signed(body))
	if r.status != 200 || !strings.Contains(r.str("error"), "broken_order") {
		t.Errorf("upstream failure: %d %s", r.status, r.raw)
	}
}

func testElevenLabs(t *testing.T, e *voiceEnv) {
	path := "/v1/adapters/elevenlabs/" + e.agentID + "/get_order?conversation_id=conv_01jx&caller_id=%2B442071234567"
	auth := map[string]string{"X-Elevenlabs-Secret": elevenLabsSecret}
	r := e.post(path, fixture(t, "elevenlabs_server_tool.json"), auth)
	if r.status != 200 || r.body["order.status"] != "shipped" {
		t.Fatalf("elevenlabs success: %d %s", r.status, r.raw)
	}
	if got := strings.Join(e.up.last(t).Header["X-Toolgate-User-Id"], ","); got != "+442071234567" {
		t.Errorf("user id = %q", got)
	}
	if r := e.post(path, fixture(t, "elevenlabs_server_tool.json"), map[string]string{"Authorization": "Bearer " + elevenLabsSecret}); r.status != 200 {
		t.Errorf("bearer secret: %d %s", r.status, r.raw)
	}
	if r := e.post(path, []byte(`{}`), auth); r.status != 200 || !strings.Contains(r.str("result"), "order_id") {
		t.Errorf("invalid arguments: %d %s", r.status, r.raw)
	}
	broken := "/v1/adapters/elevenlabs/" + e.agentID + "/broken_order"
	if r := e.post(broken, fixture(t, "elevenlabs_server_tool.json"), auth); r.status != 200 || !strings.Contains(r.str("error"), "broken_order") {
		t.Errorf("upstream failure: %d %s", r.status, r.raw)
	}
	if r := e.post(path, []byte(`[1]`), auth); r.status != 400 {
		t.Errorf("array body: %d, want 400", r.status)
	}
}

func testAdapterUnauthorized(t *testing.T, e *voiceEnv) {
	// An agent with no adapter settings at all.
	bare := e.must(201, "POST", "/v1/admin/agents", e.admin, map[string]any{"name": "bare", "tools": []map[string]any{{"name": "get_order"}}}).str("id")
	// An agent with only Vapi configured.
	vapiOnly := e.must(201, "POST", "/v1/admin/agents", e.admin, map[string]any{"name": "vapi-only",
		"tools": []map[string]any{{"name": "get_order"}}, "adapters": map[string]any{"vapi": map[string]any{"secret": vapiSecret}}}).str("id")

	vapiBody := fixture(t, "vapi_tool_calls.json")
	retellBody := fixture(t, "retell_custom_function.json")
	elBody := fixture(t, "elevenlabs_server_tool.json")
	now := time.Now()
	tests := []struct {
		name    string
		path    string
		body    []byte
		headers map[string]string
	}{
		{"vapi missing secret", "/v1/adapters/vapi/" + e.agentID, vapiBody, nil},
		{"vapi wrong secret", "/v1/adapters/vapi/" + e.agentID, vapiBody, map[string]string{"X-Vapi-Secret": vapiSecret + "x"}},
		{"vapi wrong bearer", "/v1/adapters/vapi/" + e.agentID, vapiBody, map[string]string{"Authorization": "Bearer nope"}},
		{"vapi another platform's secret", "/v1/adapters/vapi/" + e.agentID, vapiBody, map[string]string{"X-Vapi-Secret": elevenLabsSecret}},
		{"vapi unknown agent", "/v1/adapters/vapi/" + store.NewID(), vapiBody, map[string]string{"X-Vapi-Secret": vapiSecret}},
		{"vapi agent without adapters", "/v1/adapters/vapi/" + bare, vapiBody, map[string]string{"X-Vapi-Secret": ""}},
		{"vapi overlong agent id", "/v1/adapters/vapi/" + strings.Repeat("a", 200), vapiBody, map[string]string{"X-Vapi-Secret": vapiSecret}},
		{"retell missing signature", "/v1/adapters/retell/" + e.agentID, retellBody, nil},
		{"retell wrong key", "/v1/adapters/retell/" + e.agentID, retellBody, map[string]string{"X-Retell-Signature": signRetell(retellBody, "key_other", now)}},
		{"retell tampered body", "/v1/adapters/retell/" + e.agentID, bytes.Replace(retellBody, []byte("A-17"), []byte("A-18"), 1),
			map[string]string{"X-Retell-Signature": signRetell(retellBody, retellAPIKey, now)}},
		{"retell expired", "/v1/adapters/retell/" + e.agentID, retellBody, map[string]string{"X-Retell-Signature": signRetell(retellBody, retellAPIKey, now.Add(-6*time.Minute))}},
		{"retell from the future", "/v1/adapters/retell/" + e.agentID, retellBody, map[string]string{"X-Retell-Signature": signRetell(retellBody, retellAPIKey, now.Add(6*time.Minute))}},
		{"retell bare hex", "/v1/adapters/retell/" + e.agentID, retellBody, map[string]string{"X-Retell-Signature": strings.SplitN(signRetell(retellBody, retellAPIKey, now), ",d=", 2)[1]}},
		{"retell not configured", "/v1/adapters/retell/" + vapiOnly, retellBody, map[string]string{"X-Retell-Signature": signRetell(retellBody, "", now)}},
		{"elevenlabs missing secret", "/v1/adapters/elevenlabs/" + e.agentID + "/get_order", elBody, nil},
		{"elevenlabs wrong secret", "/v1/adapters/elevenlabs/" + e.agentID + "/get_order", elBody, map[string]string{"X-Elevenlabs-Secret": "nope"}},
		{"elevenlabs not configured", "/v1/adapters/elevenlabs/" + vapiOnly + "/get_order", elBody, map[string]string{"X-Elevenlabs-Secret": vapiSecret}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.up.hits.Load()
			r := e.post(tt.path, tt.body, tt.headers)
			if r.status != 401 || r.str("error.type") != "unauthorized" {
				t.Errorf("status %d %s, want 401 unauthorized", r.status, r.raw)
			}
			if r.str("error.message") != "missing or invalid platform credential for this agent" {
				t.Errorf("message %q reveals more than a failed check", r.str("error.message"))
			}
			if e.up.hits.Load() != before {
				t.Error("the upstream was called")
			}
		})
	}
	if err := e.recorder.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	runs := e.must(200, "GET", "/v1/admin/runs", e.admin, nil)
	if items, _ := runs.at("items").([]any); len(items) != 0 {
		t.Errorf("unauthorized requests recorded runs: %s", runs.raw)
	}
}

func testAdapterBackground(t *testing.T, e *voiceEnv) {
	e.publishTool(map[string]any{
		"name": "create_callback", "description": "Ask a person to call the caller back once the caller agreed.",
		"method": "POST", "url": e.up.URL + "/callbacks", "background": true,
	})
	e.must(200, "PATCH", "/v1/admin/agents/"+e.agentID, e.admin, map[string]any{"tools": []map[string]any{{"name": "get_order"}, {"name": "create_callback"}}})
	body := []byte(`{"message": {"type": "tool-calls", "toolCallList": [{"id": "call_bg", "name": "create_callback", "arguments": {}}], "call": {"id": "call-bg-1"}}}`)
	a := decodeVapi(t, e.post("/v1/adapters/vapi/"+e.agentID, body, map[string]string{"X-Vapi-Secret": vapiSecret}))
	if r := a.Results[0]; r.Result == nil || *r.Result != prompts.BackgroundAccepted("create_callback") || r.Name != "create_callback" {
		t.Errorf("background: %+v, want the acknowledgement", r)
	}
	// The acknowledgement is also the message the assistant says next,
	// worded by its model (role system), not the tool's own
	// request-complete message, which would speak as if the work were done.
	if m := a.Results[0].Message; m == nil || m.Type != "request-complete" || m.Role != "system" || m.Content != prompts.BackgroundAccepted("create_callback") {
		t.Errorf("background message: %+v", m)
	}
	r := e.post("/v1/adapters/elevenlabs/"+e.agentID+"/create_callback", []byte(`{}`), map[string]string{"X-Elevenlabs-Secret": elevenLabsSecret})
	if r.status != 200 || r.str("result") != prompts.BackgroundAccepted("create_callback") {
		t.Errorf("elevenlabs background: %d %s", r.status, r.raw)
	}
}

func testAdapterExport(t *testing.T, e *voiceEnv) {
	base := e.server.URL + "/v1/adapters/"
	for _, platform := range []string{"vapi", "retell", "elevenlabs"} {
		t.Run(platform, func(t *testing.T) {
			r := e.must(200, "GET", "/v1/admin/agents/"+e.agentID+"/export/"+platform, e.admin, nil)
			for _, secret := range []string{vapiSecret, retellAPIKey, elevenLabsSecret} {
				if bytes.Contains(r.raw, []byte(secret)) {
					t.Fatalf("export contains a secret: %s", r.raw)
				}
			}
			defs, _ := r.at("tools").([]any)
			if len(defs) != 2 || r.at("configured") != true {
				t.Fatalf("export: %s", r.raw)
			}
			def := defs[0].(map[string]any)
			var name, url string
			var params any
			switch platform {
			case "vapi":
				fn := def["function"].(map[string]any)
				name, url, params = fn["name"].(string), def["server"].(map[string]any)["url"].(string), fn["parameters"]
			case "retell":
				name, url, params = def["name"].(string), def["url"].(string), def["parameters"]
			case "elevenlabs":
				cfg := def["tool_config"].(map[string]any)
				api := cfg["api_schema"].(map[string]any)
				name, url, params = cfg["name"].(string), api["url"].(string), api["request_body_schema"]
			}
			wantURL := base + platform + "/" + e.agentID
			if platform == "elevenlabs" {
				wantURL += "/get_order"
			}
			if name != "get_order" || url != wantURL || params.(map[string]any)["type"] != "object" {
				t.Errorf("first tool: name %q url %q params %v; want get_order at %s", name, url, params, wantURL)
			}
		})
	}
	req, _ := http.NewRequest("GET", e.server.URL+"/v1/admin/agents/"+e.agentID+"/export/vapi", nil)
	req.Header.Set("Authorization", "Bearer "+e.admin)
	req.Header.Set("X-Forwarded-Proto", "https")
	req.Header.Set("X-Forwarded-Host", "voice.example.com")
	resp, err := e.server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		URL string `json:"url"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.URL != "https://voice.example.com/v1/adapters/vapi/"+e.agentID {
		t.Errorf("forwarded export url = %q (%v)", out.URL, err)
	}
	if r := e.do("GET", "/v1/admin/agents/"+e.agentID+"/export/twilio", e.admin, nil); r.status != 404 {
		t.Errorf("unknown platform: %d", r.status)
	}
	if r := e.do("GET", "/v1/admin/agents/"+store.NewID()+"/export/vapi", e.admin, nil); r.status != 404 {
		t.Errorf("unknown agent: %d", r.status)
	}
}

// testAdapterExportConversions exports tools as admins write them ($ref,
// patterns, bounds, an open map) for each platform: the goldens hold each
// platform's schema subset, and what it cannot express is listed.
func testAdapterExportConversions(t *testing.T, e *env) {
	var names []string
	for _, def := range realisticTools() {
		e.publishTool(def)
		names = append(names, def["name"].(string))
	}
	agentID, _ := e.agentWithKey("phone", names...)
	for _, platform := range []string{"vapi", "retell", "elevenlabs"} {
		t.Run(platform, func(t *testing.T) {
			r := e.must(200, "GET", "/v1/admin/agents/"+agentID+"/export/"+platform, e.admin, nil)
			raw := bytes.ReplaceAll(r.raw, []byte(e.server.URL), []byte("http://toolgate.test"))
			raw = bytes.ReplaceAll(raw, []byte(agentID), []byte("AGENT_ID"))
			goldenJSON(t, "export/"+platform, raw)
			// Only the open map of tag_contact is beyond every platform.
			var out struct {
				Unconverted []struct{ Tool, Path, Reason string } `json:"unconverted"`
			}
			if err := json.Unmarshal(r.raw, &out); err != nil {
				t.Fatal(err)
			}
			tools := map[string]bool{}
			for _, u := range out.Unconverted {
				tools[u.Tool] = true
				if u.Path == "" || u.Reason == "" {
					t.Errorf("unconverted %+v without path or reason", u)
				}
			}
			want := map[string]bool{"tag_contact": true}
			if platform == "retell" {
				want = map[string]bool{} // its properties take any JSON Schema
			}
			if diff := cmp.Diff(want, tools); diff != "" {
				t.Errorf("tools with unconverted parts (-want +got):\n%s", diff)
			}
		})
	}
	// ElevenLabs: the query parameters filled from dynamic variables have
	// no description, which would make them a second value source.
	r := e.must(200, "GET", "/v1/admin/agents/"+agentID+"/export/elevenlabs", e.admin, nil)
	for _, def := range r.at("tools").([]any) {
		q := def.(map[string]any)["tool_config"].(map[string]any)["api_schema"].(map[string]any)["query_params_schema"].(map[string]any)
		for name, p := range q["properties"].(map[string]any) {
			if _, ok := p.(map[string]any)["description"]; ok {
				t.Errorf("query parameter %s has both a description and a dynamic variable: %v", name, p)
			}
		}
	}
}
