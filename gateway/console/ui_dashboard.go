package console

import (
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/toolgate/toolgate/admin"
	"github.com/toolgate/toolgate/gateway/httpapi"
	"github.com/toolgate/toolgate/problem"
)

// uiWindow is a time range the dashboard offers.
type uiWindow struct {
	Name, Label string
	Span        time.Duration
	Bucket      time.Duration
}

// uiWindows are the dashboard's ranges: the last hour by minute and the
// last day by half hour.
var uiWindows = []uiWindow{
	{Name: "hour", Label: "Last hour", Span: time.Hour, Bucket: time.Minute},
	{Name: "day", Label: "Last day", Span: 24 * time.Hour, Bucket: 30 * time.Minute},
}

// Chart geometry, in SVG user units.
const (
	chartWidth  = 720.0
	chartHeight = 150.0
	chartLeft   = 52.0 // room for the axis labels
	chartBottom = 18.0
	sparkWidth  = 180.0
	sparkHeight = 26.0
	mixWidth    = 140.0
	// uiDashboardRows bounds the tools and agents listed.
	uiDashboardRows = 50
)

// outcomeKinds are the stacks of a bar, bottom up.
var outcomeKinds = []string{"ok", "warn", "bad", "pending"}

// uiRect is one rectangle of a chart, with its link and tooltip.
type uiRect struct {
	X, Y, W, H float64
	Class      string
}

// uiBarGroup is one bucket's bar: stacked rectangles, the runs behind it,
// and a tooltip.
type uiBarGroup struct {
	Rects []uiRect
	// Hit is the full-height transparent target of the link.
	Hit   uiRect
	Href  template.URL
	Title string
}

// uiPoint is a point of a line chart.
type uiPoint struct {
	X, Y  float64
	Href  template.URL
	Title string
}

// uiAxisLabel is a label on a chart's axis.
type uiAxisLabel struct {
	X, Y float64
	Text string
	// Anchor is the SVG text-anchor.
	Anchor string
}

// uiChart is one server-rendered chart.
type uiChart struct {
	Width, Height float64
	Bars          []uiBarGroup
	P50, P95      string // polyline points
	P50Points     []uiPoint
	P95Points     []uiPoint
	Grid          []uiAxisLabel // horizontal lines with their values
	Times         []uiAxisLabel
	Empty         bool
}

// uiMix is an outcome mix as a stacked bar and its legend.
type uiMix struct {
	Rects  []uiRect
	Legend []uiMixEntry
	Width  float64
}

// uiMixEntry is one outcome of a mix.
type uiMixEntry struct {
	Outcome, Kind string
	Count         int
	Pct           float64
	Href          template.URL
}

// uiSeriesRow is one tool or agent of the dashboard's tables.
type uiSeriesRow struct {
	Key, Label            string
	Count                 int
	PerMinute             float64
	P50, P95              float64
	HasLatency            bool
	Mix                   uiMix
	Spark                 uiSpark
	DashboardURL, RunsURL template.URL
}

// uiDashboardData is the dashboard's content.
type uiDashboardData struct {
	Windows             []uiWindow
	Window              uiWindow
	Tool, Agent         string
	AgentLabel          string
	Tools               []string
	Agents              []uiOption
	Since, Until        time.Time
	Total               uiSeriesRow
	Calls, Latency      uiChart
	ToolRows, AgentRows []uiSeriesRow
	MoreTools           int
	MoreAgents          int
	SampleRate          float64
	RunsURL             template.URL
}

func (u *Console) uiDashboard(c *gin.Context) error {
	ctx, ws := c.Request.Context(), httpapi.Who(c).WorkspaceID
	window := uiWindows[0]
	if name := c.Query("window"); name != "" {
		i := slices.IndexFunc(uiWindows, func(w uiWindow) bool { return w.Name == name })
		if i < 0 {
			return &problem.Error{Kind: problem.BadRequest, Message: "window must be hour or day", Details: map[string]string{"window": "unknown"}}
		}
		window = uiWindows[i]
	}
	tool, agent := c.Query("tool"), c.Query("agent")
	// Buckets end on whole minutes (half hours), so that the bars stay put
	// from one load to the next and each links to a whole-minute range.
	until := u.now().UTC().Truncate(window.Bucket).Add(window.Bucket)
	since := until.Add(-window.Span)
	stats, err := u.Admin.Runs.Stats(ctx, ws, admin.StatsParams{Since: since, Until: until, Bucket: window.Bucket, Tool: tool, AgentID: agent})
	if err != nil {
		return err
	}
	names, agents, err := u.agentNames(c)
	if err != nil {
		return err
	}
	ts, err := u.Admin.Tools.List(ctx, ws, everything)
	if err != nil {
		return err
	}
	toolNames := make([]string, 0, len(ts.Items))
	for _, t := range ts.Items {
		toolNames = append(toolNames, t.Name)
	}
	slices.Sort(toolNames)

	minutes := window.Bucket.Minutes()
	links := dashboardLinks{tool: tool, agent: agent, window: window}
	data := uiDashboardData{Windows: uiWindows, Window: window, Tool: tool, Agent: agent, AgentLabel: agentLabel(agent, names),
		Tools: toolNames, Agents: agents, Since: since, Until: until, SampleRate: stats.SampleRate,
		RunsURL: links.runs(since, until, "", "")}
	data.Total = seriesRow(stats.Total, "", window, links.runs(since, until, "", ""), "")
	data.Calls = callsChart(stats.Total, minutes, links)
	data.Latency = latencyChart(stats.Total, links)
	for i, s := range stats.Tools {
		if i == uiDashboardRows {
			data.MoreTools = len(stats.Tools) - i
			break
		}
		data.ToolRows = append(data.ToolRows, seriesRow(s, s.Key, window, links.runs(since, until, s.Key, agent), links.dashboard(s.Key, agent)))
	}
	for i, s := range stats.Agents {
		if i == uiDashboardRows {
			data.MoreAgents = len(stats.Agents) - i
			break
		}
		row := seriesRow(s, agentLabel(s.Key, names), window, links.runs(since, until, tool, s.Key), "")
		if s.Key != "" {
			row.DashboardURL = links.dashboard(tool, s.Key)
		}
		data.AgentRows = append(data.AgentRows, row)
	}
	u.uiRender(c, http.StatusOK, "dashboard", uiPage{Title: "Dashboard", Nav: "dashboard", CSRF: uiSessionOf(c).CSRFToken, SignedIn: true, Data: data})
	return nil
}

// agentLabel names an agent for people.
func agentLabel(id string, names map[string]string) string {
	switch {
	case id == "":
		return "console (no agent)"
	case names[id] != "":
		return names[id]
	}
	return shortID(id)
}

// dashboardLinks builds the dashboard's links: to the runs behind a bar,
// and to the dashboard of one tool or agent. Each is built from
// url.Values, so every value in it is encoded.
type dashboardLinks struct {
	tool, agent string
	window      uiWindow
}

// runs links to the runs list of a time range (whole minutes, as the
// list's filter form writes them) of the links' tool and agent, or those
// given.
func (l dashboardLinks) runs(since, until time.Time, tool, agent string) template.URL {
	q := url.Values{"since": {since.UTC().Format(uiTimeLayout)}, "until": {until.UTC().Format(uiTimeLayout)}}
	if tool = cmpOr(tool, l.tool); tool != "" {
		q.Set("tool", tool)
	}
	if agent = cmpOr(agent, l.agent); agent != "" {
		q.Set("agent", agent)
	}
	return template.URL("/ui/runs?" + q.Encode())
}

func (l dashboardLinks) dashboard(tool, agent string) template.URL {
	q := url.Values{"window": {l.window.Name}}
	if tool != "" {
		q.Set("tool", tool)
	}
	if agent != "" {
		q.Set("agent", agent)
	}
	return template.URL("/ui/dashboard?" + q.Encode())
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// seriesRow is a tool's or agent's line of the tables.
func seriesRow(s admin.StatsSeries, label string, w uiWindow, runsURL, dashURL template.URL) uiSeriesRow {
	return uiSeriesRow{Key: s.Key, Label: label, Count: s.Count, PerMinute: float64(s.Count) / w.Span.Minutes(),
		P50: s.Latency.P50MS, P95: s.Latency.P95MS, HasLatency: s.Latency.Samples > 0,
		Mix: outcomeMix(s, mixWidth, runsURL), Spark: sparkline(s),
		RunsURL: runsURL, DashboardURL: dashURL}
}

// bucketTitle describes one bucket for a tooltip.
func bucketTitle(b admin.StatsBucket, end time.Time, perMinute float64) string {
	var parts []string
	for _, o := range slices.Sorted(maps.Keys(b.Outcomes)) {
		parts = append(parts, fmt.Sprintf("%d %s", b.Outcomes[o], cmpOr(o, "pending")))
	}
	title := fmt.Sprintf("%s–%s UTC: %d calls (%s/min)", b.Start.Format("15:04"), end.Format("15:04"), b.Count,
		strconv.FormatFloat(perMinute, 'f', -1, 64))
	if len(parts) > 0 {
		title += ": " + strings.Join(parts, ", ")
	}
	if b.Latency.Samples > 0 {
		title += fmt.Sprintf(" · p50 %s, p95 %s", fmtMS(b.Latency.P50MS), fmtMS(b.Latency.P95MS))
	}
	return title
}

func fmtMS(v float64) string { return uiFuncs["ms"].(func(float64) string)(v) }

// kindCounts sums a bucket's outcomes by colour.
func kindCounts(outcomes map[string]int) map[string]int {
	out := map[string]int{}
	for o, n := range outcomes {
		out[outcomeKind(o)] += n
	}
	return out
}

// niceMax rounds a maximum up to 1, 2 or 5 times a power of ten.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := 1.0
	for p*10 <= v {
		p *= 10
	}
	for p > v {
		p /= 10
	}
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// barsChart lays out one stacked bar per bucket, height = calls per
// minute, in a plot of the given size starting at left, each bar linking to
// its runs.
func barsChart(s admin.StatsSeries, minutes float64, links dashboardLinks, left, width, height, bottom float64) uiChart {
	ch := uiChart{Width: left + width, Height: height + bottom}
	n := len(s.Buckets)
	if n == 0 {
		ch.Empty = true
		return ch
	}
	peak := 0.0
	for _, b := range s.Buckets {
		peak = max(peak, float64(b.Count)/minutes)
	}
	top := niceMax(peak)
	slot := width / float64(n)
	gap := min(2.0, slot*0.2)
	for i, b := range s.Buckets {
		end := b.Start.Add(time.Duration(minutes * float64(time.Minute)))
		g := uiBarGroup{Href: links.runs(b.Start, end, "", ""), Title: bucketTitle(b, end, float64(b.Count)/minutes),
			Hit: uiRect{X: left + float64(i)*slot, Y: 0, W: slot, H: height, Class: "hit"}}
		y := height
		kinds := kindCounts(b.Outcomes)
		for _, k := range outcomeKinds {
			if kinds[k] == 0 {
				continue
			}
			h := float64(kinds[k]) / minutes / top * height
			y -= h
			g.Rects = append(g.Rects, uiRect{X: left + float64(i)*slot + gap/2, Y: y, W: slot - gap, H: h, Class: k})
		}
		ch.Bars = append(ch.Bars, g)
	}
	ch.Empty = s.Count == 0
	for _, f := range []float64{0, 0.5, 1} {
		ch.Grid = append(ch.Grid, uiAxisLabel{X: left - 6, Y: height - f*height, Text: trimFloat(top * f), Anchor: "end"})
	}
	return ch
}

// timeLabels marks the start, middle and end of a chart.
func timeLabels(s admin.StatsSeries, minutes float64, left, width, y float64) []uiAxisLabel {
	n := len(s.Buckets)
	if n == 0 {
		return nil
	}
	end := s.Buckets[n-1].Start.Add(time.Duration(minutes * float64(time.Minute)))
	label := func(t time.Time) string { return t.UTC().Format("15:04") }
	return []uiAxisLabel{
		{X: left, Y: y, Text: label(s.Buckets[0].Start), Anchor: "start"},
		{X: left + width/2, Y: y, Text: label(s.Buckets[n/2].Start), Anchor: "middle"},
		{X: left + width, Y: y, Text: label(end) + " UTC", Anchor: "end"},
	}
}

// callsChart is the calls per minute of every bucket, stacked by outcome.
func callsChart(s admin.StatsSeries, minutes float64, links dashboardLinks) uiChart {
	ch := barsChart(s, minutes, links, chartLeft, chartWidth-chartLeft, chartHeight, chartBottom)
	ch.Times = timeLabels(s, minutes, chartLeft, chartWidth-chartLeft, chartHeight+chartBottom-4)
	return ch
}

// uiSpark is a small calls chart: one path of bars, without links (the
// row links to the runs and to the dashboard of the tool or agent, whose
// chart has them), so that a long table stays cheap to render.
type uiSpark struct {
	Width, Height float64
	Path          string
	Title         string
}

// sparkline draws a series' calls per bucket as one SVG path.
func sparkline(s admin.StatsSeries) uiSpark {
	sp := uiSpark{Width: sparkWidth, Height: sparkHeight}
	n := len(s.Buckets)
	peak := 0
	for _, b := range s.Buckets {
		peak = max(peak, b.Count)
	}
	if n == 0 || peak == 0 {
		return sp
	}
	slot := sparkWidth / float64(n)
	var d strings.Builder
	for i, b := range s.Buckets {
		if b.Count == 0 {
			continue
		}
		h := max(float64(b.Count)/float64(peak)*sparkHeight, 1)
		fmt.Fprintf(&d, "M%s %sh%sv%sh-%sz", trimFloat(float64(i)*slot), trimFloat(sparkHeight-h), trimFloat(max(slot-1, 0.5)),
			trimFloat(h), trimFloat(max(slot-1, 0.5)))
	}
	sp.Path = d.String()
	sp.Title = fmt.Sprintf("peak %d calls in a bucket", peak)
	return sp
}

// latencyChart draws p50 and p95 per bucket as lines; buckets without a
// sampled duration leave a gap in neither line (the line joins the points
// around them).
func latencyChart(s admin.StatsSeries, links dashboardLinks) uiChart {
	width := chartWidth - chartLeft
	ch := uiChart{Width: chartWidth, Height: chartHeight + chartBottom}
	n := len(s.Buckets)
	peak := 0.0
	for _, b := range s.Buckets {
		peak = max(peak, b.Latency.P95MS)
	}
	if n == 0 || peak == 0 {
		ch.Empty = true
		return ch
	}
	top := niceMax(peak)
	slot := width / float64(n)
	var p50, p95 []string
	for i, b := range s.Buckets {
		if b.Latency.Samples == 0 {
			continue
		}
		x := chartLeft + (float64(i)+0.5)*slot
		end := b.Start.Add(slotDuration(s))
		href := links.runs(b.Start, end, "", "")
		title := bucketTitle(b, end, float64(b.Count)/slotDuration(s).Minutes())
		y50 := chartHeight - b.Latency.P50MS/top*chartHeight
		y95 := chartHeight - b.Latency.P95MS/top*chartHeight
		p50 = append(p50, trimFloat(x)+","+trimFloat(y50))
		p95 = append(p95, trimFloat(x)+","+trimFloat(y95))
		ch.P50Points = append(ch.P50Points, uiPoint{X: x, Y: y50, Href: href, Title: title})
		ch.P95Points = append(ch.P95Points, uiPoint{X: x, Y: y95, Href: href, Title: title})
	}
	ch.P50, ch.P95 = strings.Join(p50, " "), strings.Join(p95, " ")
	for _, f := range []float64{0, 0.5, 1} {
		ch.Grid = append(ch.Grid, uiAxisLabel{X: chartLeft - 6, Y: chartHeight - f*chartHeight, Text: fmtMS(top * f), Anchor: "end"})
	}
	ch.Times = timeLabels(s, slotDuration(s).Minutes(), chartLeft, width, chartHeight+chartBottom-4)
	return ch
}

// slotDuration is the width of a series' buckets.
func slotDuration(s admin.StatsSeries) time.Duration {
	if len(s.Buckets) < 2 {
		return time.Minute
	}
	return s.Buckets[1].Start.Sub(s.Buckets[0].Start)
}

// outcomeMix is a series' outcomes as one stacked bar and a legend, most
// frequent first.
func outcomeMix(s admin.StatsSeries, width float64, runsURL template.URL) uiMix {
	mix := uiMix{Width: width}
	outcomes := slices.SortedFunc(maps.Keys(s.Outcomes), func(a, b string) int {
		if s.Outcomes[a] != s.Outcomes[b] {
			return s.Outcomes[b] - s.Outcomes[a]
		}
		return strings.Compare(a, b)
	})
	x := 0.0
	for _, o := range outcomes {
		n := s.Outcomes[o]
		if n == 0 {
			continue
		}
		w := float64(n) / float64(s.Count) * width
		mix.Rects = append(mix.Rects, uiRect{X: x, W: w, H: 10, Class: outcomeKind(o)})
		x += w
		href := template.URL(string(runsURL) + "&" + url.Values{"outcome": {o}}.Encode())
		if o == "" {
			href = template.URL(string(runsURL) + "&status=queued")
		}
		mix.Legend = append(mix.Legend, uiMixEntry{Outcome: cmpOr(o, "pending"), Kind: outcomeKind(o), Count: n,
			Pct: float64(n) / float64(s.Count) * 100, Href: href})
	}
	return mix
}

// trimFloat formats a coordinate or value with at most two decimals.
func trimFloat(v float64) string {
	return strconv.FormatFloat(float64(int64(v*100+0.5))/100, 'f', -1, 64)
}
