package console

import (
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// uiOutcomes and uiStatuses are the values the runs filters offer.
var (
	uiOutcomes = []string{tools.OutcomeSuccess, tools.OutcomeClientError, tools.OutcomeServerError, tools.OutcomeTimeout,
		tools.OutcomeNetworkError, tools.OutcomeBlocked, tools.OutcomeInvalidArguments, tools.OutcomeAuthError, tools.OutcomeConfigError,
		tools.OutcomeNeedsConfirmation, tools.OutcomeRateLimited, tools.OutcomeRejected, tools.OutcomeApprovalExpired}
	uiStatuses = []string{store.RunStatusQueued, store.RunStatusRunning, store.RunStatusSucceeded, store.RunStatusFailed,
		store.RunStatusAwaitingApproval}
)

// uiTimeLayout is the format of <input type="datetime-local">, read as UTC.
const uiTimeLayout = "2006-01-02T15:04"

// uiRunFilters are the runs list's filters as the form sends them.
type uiRunFilters struct {
	Tool, Agent, Outcome, Status, Conversation, Since, Until string
}

// uiOption is one choice of a select.
type uiOption struct{ Value, Label string }

// uiRunRow is one run of a list.
type uiRunRow struct {
	ID, Tool, AgentID, AgentName, ConversationID, Status, Outcome, ReplayOf string
	ToolVersion, StatusCode                                                 int
	DurationMS                                                              float64
	CreatedAt                                                               time.Time
	// OffsetPct and WidthPct place the run on a conversation's timeline.
	OffsetPct, WidthPct float64
	OffsetMS            float64
}

// uiRunsData is the runs page's content.
type uiRunsData struct {
	Filters            uiRunFilters
	Rows               []uiRunRow
	Tools              []string
	Agents             []uiOption
	Outcomes, Statuses []string
	// LiveURL refreshes the rows; NewestURL and OlderURL page. Each is
	// built from url.Values, so every value in it is encoded.
	LiveURL, NewestURL, OlderURL template.URL
	// Cursor is set on pages after the first; those do not refresh.
	Cursor string
}

// runFilters reads the filters of the runs page into store parameters.
func runFilters(c *gin.Context) (uiRunFilters, store.RunListParams, error) {
	f := uiRunFilters{Tool: c.Query("tool"), Agent: c.Query("agent"), Outcome: c.Query("outcome"), Status: c.Query("status"),
		Conversation: c.Query("conversation"), Since: c.Query("since"), Until: c.Query("until")}
	lp, err := httpapi.ListParams(c)
	if err != nil {
		return f, store.RunListParams{}, err
	}
	rp := store.RunListParams{ListParams: lp, Tool: f.Tool, AgentID: f.Agent, Outcome: f.Outcome, Status: f.Status, ConversationID: f.Conversation}
	for name, v := range map[string]string{"since": f.Since, "until": f.Until} {
		if v == "" {
			continue
		}
		t, err := time.Parse(uiTimeLayout, v)
		if err != nil {
			t, err = time.Parse(time.RFC3339, v)
		}
		if err != nil {
			return f, rp, &problem.Error{Kind: problem.BadRequest, Message: name + " must be a time like 2026-01-02T15:04 (UTC)",
				Details: map[string]string{name: "not a time"}}
		}
		if name == "since" {
			rp.Since = t.UTC()
		} else {
			rp.Until = t.UTC()
		}
	}
	return f, rp, nil
}

// agentNames maps the workspace's agent IDs to names (first page of agents).
func (u *Console) agentNames(c *gin.Context) (map[string]string, []uiOption, error) {
	as, err := u.Admin.Agents.List(c.Request.Context(), httpapi.Who(c).WorkspaceID, everything)
	if err != nil {
		return nil, nil, err
	}
	names := make(map[string]string, len(as.Items))
	opts := make([]uiOption, 0, len(as.Items))
	for _, a := range as.Items {
		names[a.ID] = a.Name
		opts = append(opts, uiOption{Value: a.ID, Label: a.Name})
	}
	return names, opts, nil
}

// listRunRows reads a page of runs, this replica's queued runs included.
func (u *Console) listRunRows(c *gin.Context, rp store.RunListParams, names map[string]string) ([]uiRunRow, string, error) {
	runs, err := u.Admin.Runs.List(c.Request.Context(), httpapi.Who(c).WorkspaceID, rp)
	if err != nil {
		return nil, "", err
	}
	rows := make([]uiRunRow, 0, len(runs))
	for _, r := range runs {
		rows = append(rows, runRow(r, names))
	}
	next := ""
	if len(runs) > 0 && len(runs) == rp.EffectiveLimit() {
		next = httpapi.Cursor(runs[len(runs)-1].ID)
	}
	return rows, next, nil
}

func runRow(r *store.Run, names map[string]string) uiRunRow {
	return uiRunRow{ID: r.ID, Tool: r.ToolName, ToolVersion: r.ToolVersion, AgentID: r.AgentID, AgentName: names[r.AgentID],
		ConversationID: r.ConversationID, Status: r.Status, Outcome: r.Outcome, StatusCode: r.StatusCode,
		DurationMS: r.DurationMS, CreatedAt: r.CreatedAt, ReplayOf: r.ReplayOf}
}

func (u *Console) uiRuns(c *gin.Context) error {
	f, rp, err := runFilters(c)
	if err != nil {
		return err
	}
	names, agents, err := u.agentNames(c)
	if err != nil {
		return err
	}
	rows, next, err := u.listRunRows(c, rp, names)
	if err != nil {
		return err
	}
	ts, err := u.Admin.Tools.List(c.Request.Context(), httpapi.Who(c).WorkspaceID, everything)
	if err != nil {
		return err
	}
	toolNames := make([]string, 0, len(ts.Items))
	for _, t := range ts.Items {
		toolNames = append(toolNames, t.Name)
	}
	slices.Sort(toolNames)
	q := url.Values{}
	for k, v := range map[string]string{"tool": f.Tool, "agent": f.Agent, "outcome": f.Outcome, "status": f.Status,
		"conversation": f.Conversation, "since": f.Since, "until": f.Until} {
		if v != "" {
			q.Set(k, v)
		}
	}
	data := uiRunsData{Filters: f, Rows: rows, Tools: toolNames, Agents: agents, Outcomes: uiOutcomes, Statuses: uiStatuses,
		LiveURL: template.URL("/ui/runs-rows?" + q.Encode()), NewestURL: template.URL("/ui/runs?" + q.Encode()),
		Cursor: c.Query("cursor")}
	if next != "" {
		q.Set("cursor", next)
		data.OlderURL = template.URL("/ui/runs?" + q.Encode())
	}
	u.uiRender(c, http.StatusOK, "runs", uiPage{Title: "Runs", Nav: "runs", CSRF: uiSessionOf(c).CSRFToken, SignedIn: true, Data: data})
	return nil
}

// uiRunRows renders just the rows of the runs table, for the live refresh.
func (u *Console) uiRunRows(c *gin.Context) error {
	_, rp, err := runFilters(c)
	if err != nil {
		return err
	}
	names, _, err := u.agentNames(c)
	if err != nil {
		return err
	}
	rows, _, err := u.listRunRows(c, rp, names)
	if err != nil {
		return err
	}
	u.uiRenderTemplate(c, http.StatusOK, "runs", "rows", rows)
	return nil
}

// uiHeader is one header line.
type uiHeader struct{ Name, Value string }

// uiExchange is one side of a run's exchange, ready to show.
type uiExchange struct {
	Method, URL string
	StatusCode  int
	Headers     []uiHeader
	Body        string
	Truncated   bool
}

// uiBar is one bar of a timing waterfall, in percent of the scale.
type uiBar struct {
	Label           string
	MS              float64
	X, Width, Y, TY float64
}

// uiRunData is a run's page content.
type uiRunData struct {
	Run                         *store.Run
	AgentName                   string
	Arguments, Context, Result  string
	Request                     *uiExchange
	Response                    *uiExchange
	Waterfall                   []uiBar
	WaterfallHeight             float64
	Attempts                    []tools.Attempt
	Curl                        string
	ValidationError, ReplayArgs string
	// Approval is the run's approval, when its tool requires one.
	Approval *admin.Approval
	// Guardrail explains an outcome a guardrail decided (nothing was sent).
	Guardrail string
	// FlowSessionID names the flow session a run was made by; FlowCall
	// marks a flow's own API call (not a published tool's).
	FlowSessionID string
	FlowCall      bool
}

func (u *Console) uiRun(c *gin.Context) error {
	p := httpapi.Who(c)
	r, err := u.Admin.Runs.Get(c.Request.Context(), p.WorkspaceID, c.Param("id"))
	if err != nil {
		return err
	}
	data := uiRunData{Run: r, Arguments: prettyJSON(r.Arguments), Context: prettyJSON(r.Context), Result: prettyJSON(r.Result)}
	data.ReplayArgs = data.Arguments
	data.FlowSessionID, data.FlowCall = flowRunOf(r)
	if r.AgentID != "" {
		if a, err := u.Admin.Agents.Get(c.Request.Context(), p.WorkspaceID, r.AgentID); err == nil {
			data.AgentName = a.Name
		}
	}
	if r.Outcome == tools.OutcomeInvalidArguments {
		data.ValidationError = r.Error
	}
	if data.Approval, err = u.Admin.Runs.Approval(c.Request.Context(), p.WorkspaceID, r.ID); err != nil {
		return err
	}
	data.Guardrail = guardrailNote(r)
	var req tools.RecordedRequest
	if len(r.Request) > 0 && json.Unmarshal(r.Request, &req) == nil && req.Method != "" {
		data.Request = &uiExchange{Method: req.Method, URL: req.URL, Headers: sortedHeaders(req.Headers), Body: prettyBody(req.Body)}
		data.Curl = curlCommand(&req)
	}
	var resp tools.RecordedResponse
	if len(r.Response) > 0 && json.Unmarshal(r.Response, &resp) == nil && resp.StatusCode != 0 {
		data.Response = &uiExchange{StatusCode: resp.StatusCode, Headers: sortedHeaders(resp.Headers), Body: prettyBody(resp.Body), Truncated: resp.Truncated}
	}
	var tm tools.Timings
	if len(r.Timings) > 0 && json.Unmarshal(r.Timings, &tm) == nil {
		data.Waterfall, data.WaterfallHeight = waterfall(tm)
	}
	if len(r.Attempts) > 0 {
		_ = json.Unmarshal(r.Attempts, &data.Attempts)
	}
	u.uiRender(c, http.StatusOK, "run", uiPage{Title: "Run " + r.ToolName, Nav: "runs", CSRF: uiSessionOf(c).CSRFToken, SignedIn: true, Data: data})
	return nil
}

// waterfall lays out a run's timings: DNS, connect and TLS one after the
// other, then the wait for the first byte, and the total from the start.
func waterfall(tm tools.Timings) ([]uiBar, float64) {
	scale := max(tm.TotalMS, tm.TTFBMS, tm.DNSMS+tm.ConnectMS+tm.TLSMS)
	if scale <= 0 {
		return nil, 0
	}
	pct := func(ms float64) float64 { return ms / scale * 100 }
	setup := tm.DNSMS + tm.ConnectMS + tm.TLSMS
	bars := []uiBar{
		{Label: "dns", MS: tm.DNSMS, X: 0, Width: pct(tm.DNSMS)},
		{Label: "connect", MS: tm.ConnectMS, X: pct(tm.DNSMS), Width: pct(tm.ConnectMS)},
		{Label: "tls", MS: tm.TLSMS, X: pct(tm.DNSMS + tm.ConnectMS), Width: pct(tm.TLSMS)},
		{Label: "first byte", MS: tm.TTFBMS, X: pct(setup), Width: pct(max(tm.TTFBMS-setup, 0))},
		{Label: "total", MS: tm.TotalMS, X: 0, Width: pct(tm.TotalMS)},
	}
	const rowHeight = 18
	for i := range bars {
		bars[i].Y = float64(i * rowHeight)
		bars[i].TY = float64(i*rowHeight) + 13
		if bars[i].Width < 0.3 && bars[i].MS > 0 {
			bars[i].Width = 0.3
		}
	}
	return bars, float64(len(bars) * rowHeight)
}

func sortedHeaders(h map[string][]string) []uiHeader {
	var out []uiHeader
	for name, values := range h {
		for _, v := range values {
			out = append(out, uiHeader{Name: name, Value: v})
		}
	}
	slices.SortFunc(out, func(a, b uiHeader) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// curlCommand is the recorded (already redacted) request as a curl command
// line, each value single-quoted for a POSIX shell.
func curlCommand(req *tools.RecordedRequest) string {
	var b strings.Builder
	b.WriteString("curl -X " + req.Method + " " + shellQuote(req.URL))
	for _, h := range sortedHeaders(req.Headers) {
		switch http.CanonicalHeaderKey(h.Name) {
		case "Content-Length", "Host", "Accept-Encoding":
			continue
		}
		b.WriteString(" \\\n  -H " + shellQuote(h.Name+": "+h.Value))
	}
	if req.Body != "" {
		b.WriteString(" \\\n  --data-raw " + shellQuote(req.Body))
	}
	return b.String()
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// uiReplay replays a run with the arguments as edited in the form, and
// shows the new run.
func (u *Console) uiReplay(c *gin.Context) error {
	var args json.RawMessage
	if v := uiFormValue(c, "arguments"); v != "" {
		if !json.Valid([]byte(v)) {
			return errNotJSON
		}
		args = json.RawMessage(v)
	}
	res, err := u.Admin.Runs.Replay(c.Request.Context(), httpapi.Who(c).WorkspaceID, c.Param("id"), args)
	if err != nil {
		return err
	}
	c.Redirect(http.StatusSeeOther, "/ui/runs/"+url.PathEscape(res.RunID))
	return nil
}

// uiConversationData is a conversation's timeline.
type uiConversationData struct {
	ID    string
	Rows  []uiRunRow
	Start time.Time
	// SpanMS is the time from the first run's start to the last's end.
	SpanMS float64
}

// uiConversation shows a conversation's runs in order on a timeline.
func (u *Console) uiConversation(c *gin.Context) error {
	id := c.Param("id")
	names, _, err := u.agentNames(c)
	if err != nil {
		return err
	}
	rows, _, err := u.listRunRows(c, store.RunListParams{ListParams: everything, ConversationID: id}, names)
	if err != nil {
		return err
	}
	slices.Reverse(rows)
	data := uiConversationData{ID: id, Rows: rows}
	if len(rows) > 0 {
		data.Start = rows[0].CreatedAt
		for _, r := range rows {
			data.SpanMS = max(data.SpanMS, float64(r.CreatedAt.Sub(data.Start).Microseconds())/1000+r.DurationMS)
		}
		for i := range rows {
			off := float64(rows[i].CreatedAt.Sub(data.Start).Microseconds()) / 1000
			rows[i].OffsetMS = off
			if data.SpanMS > 0 {
				rows[i].OffsetPct = off / data.SpanMS * 100
				rows[i].WidthPct = max(rows[i].DurationMS/data.SpanMS*100, 0.5)
			}
		}
	}
	u.uiRender(c, http.StatusOK, "conversation", uiPage{Title: "Conversation " + id, Nav: "runs", CSRF: uiSessionOf(c).CSRFToken, SignedIn: true, Data: data})
	return nil
}

// errNotJSON refuses arguments that are not JSON.
var errNotJSON = &problem.Error{Kind: problem.BadRequest, Message: "the arguments are not valid JSON",
	Details: map[string]string{"arguments": "not JSON"}}
