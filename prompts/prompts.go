package prompts

import (
	"embed"
	"fmt"
	"slices"
	"strings"
	"sync"
	"text/template"
	"unicode"
	"unicode/utf8"
)

//go:embed templates/*.tmpl
var files embed.FS

// templates holds every file under templates/, each named by its file name.
var templates = template.Must(template.New("prompts").Funcs(template.FuncMap{
	"andList": andList,
}).ParseFS(files, "templates/*.tmpl"))

// MaxDetailRunes bounds how much of an upstream service's own words
// [UpstreamFailure] passes on to the model.
const MaxDetailRunes = 200

// Issue is one invalid argument, as the schema package reports it.
type Issue struct {
	// Path locates the argument, dot style (email, address.zip); empty for
	// the arguments as a whole.
	Path string
	// Message says what the value must be: "must be a valid email address".
	Message string
}

// InvalidArgumentsData describes a tool call refused because of its
// arguments.
type InvalidArgumentsData struct {
	// Tool is the name of the tool the model called.
	Tool string
	// Missing are the required arguments that were not given, as dotted paths.
	Missing []string
	// Issues are the arguments given with invalid values.
	Issues []Issue
}

// FailureData describes a tool call whose upstream request did not succeed.
type FailureData struct {
	// Tool is the name of the tool the model called.
	Tool string
	// Outcome is the outcome class of the run: client_error, server_error,
	// timeout, network_error, blocked or auth_error. Any other value gets a
	// generic sentence.
	Outcome string
	// StatusCode is the upstream HTTP status, or 0 when there was none.
	StatusCode int
	// Detail is an optional short explanation, such as the upstream error
	// message. It is cut to one line of at most MaxDetailRunes runes.
	Detail string
}

// InvalidArguments returns what to tell the model when its arguments were
// refused: message says what is wrong ("Cannot call create_callback_lead:
// missing required argument phone_number; argument email: must be a valid
// email address."), hint says what to do next ("Ask the caller for
// phone_number before calling create_callback_lead. Do not invent values.").
func InvalidArguments(d InvalidArgumentsData) (message, hint string) {
	view := invalidArgumentsView{
		Tool:    oneLine(d.Tool, 0),
		Missing: oneLineAll(d.Missing),
		Issues:  make([]issueView, len(d.Issues)),
	}
	seen := make(map[string]bool, len(d.Issues))
	for i, is := range d.Issues {
		where := "the arguments"
		if is.Path != "" {
			where = "argument " + oneLine(is.Path, 0)
		}
		view.Issues[i] = issueView{
			Where:      where,
			Message:    oneLine(is.Message, 0),
			Root:       is.Path == "",
			AfterOther: i > 0 || len(d.Missing) > 0,
		}
		fix := strings.TrimPrefix(where, "argument ")
		if !seen[fix] {
			seen[fix] = true
			view.Fix = append(view.Fix, fix)
		}
	}
	view.ManyMissing = len(view.Missing) > 1
	view.MissingList, view.FixList = andList(view.Missing), andList(view.Fix)
	return render("invalid_arguments_message.tmpl", &view), render("invalid_arguments_hint.tmpl", &view)
}

// UpstreamFailure returns a sentence telling the model what went wrong with
// the upstream request and what to tell the caller, for example: "The
// get_order service did not answer in time. Tell the caller you could not
// check right now and offer to try again."
func UpstreamFailure(d FailureData) string {
	name := "upstream_" + d.Outcome + ".tmpl"
	if d.Outcome == "" || d.Outcome == "failure" || templates.Lookup(name) == nil {
		name = "upstream_failure.tmpl"
	}
	return render(name, failureView{
		Tool:       oneLine(d.Tool, 0),
		StatusCode: d.StatusCode,
		Detail:     strings.ReplaceAll(oneLine(d.Detail, MaxDetailRunes), `"`, `'`),
	})
}

// BackgroundAccepted returns what to tell the model when a background tool
// call was queued: "The request to create_callback_lead was accepted and is
// being processed. ..."
func BackgroundAccepted(tool string) string {
	return render("background_accepted.tmpl", struct{ Tool string }{oneLine(tool, 0)})
}

type invalidArgumentsView struct {
	Tool    string
	Missing []string
	Issues  []issueView
	// Fix names each invalid argument once, for the hint.
	Fix []string
	// MissingList and FixList are Missing and Fix joined as "a, b and c".
	MissingList, FixList string
	// ManyMissing is set when more than one argument is missing.
	ManyMissing bool
}

type issueView struct {
	Where   string
	Message string
	// Root is set when the issue is about the arguments as a whole.
	Root bool
	// AfterOther is set when the issue follows another problem in the
	// message and so needs a separator.
	AfterOther bool
}

type failureView struct {
	Tool       string
	StatusCode int
	Detail     string
}

var buffers = sync.Pool{New: func() any { return new(strings.Builder) }}

// render executes the named template and trims surrounding space. The
// templates are fixed and their data well typed, so execution cannot fail in
// practice; if it does, the model still gets a sentence, not an error.
func render(name string, data any) string {
	sb := buffers.Get().(*strings.Builder)
	defer func() {
		sb.Reset()
		buffers.Put(sb)
	}()
	if err := templates.ExecuteTemplate(sb, name, data); err != nil {
		return fmt.Sprintf("The tool call could not be completed (%s). Tell the caller you could not do it right now.", name)
	}
	return strings.TrimSpace(sb.String())
}

// andList joins names as "a", "a and b", "a, b and c".
func andList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	case 2:
		return items[0] + " and " + items[1]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// oneLine makes untrusted text safe to place inside a sentence: valid UTF-8,
// no control characters or line breaks, runs of space collapsed, and, when
// limit is positive, cut to limit runes with an ellipsis.
func oneLine(s string, limit int) string {
	if isPlain(s, limit) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	var sb strings.Builder
	sb.Grow(len(s))
	runes, space := 0, false
	for _, r := range strings.TrimSpace(s) {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			space = true
			continue
		}
		gap := space && sb.Len() > 0
		if limit > 0 && (runes >= limit || (gap && runes+1 >= limit)) {
			sb.WriteString("…")
			return sb.String()
		}
		if gap {
			sb.WriteByte(' ')
			runes++
		}
		space = false
		sb.WriteRune(r)
		runes++
	}
	return sb.String()
}

// oneLineAll applies oneLine to each item, copying the slice only when an
// item needs cleaning.
func oneLineAll(items []string) []string {
	for i, item := range items {
		if isPlain(item, 0) {
			continue
		}
		out := slices.Clone(items)
		for j := i; j < len(out); j++ {
			out[j] = oneLine(out[j], 0)
		}
		return out
	}
	return items
}

// isPlain reports whether s needs no cleaning: short enough, printable ASCII
// with single spaces between words.
func isPlain(s string, limit int) bool {
	if limit > 0 && len(s) > limit {
		return false
	}
	prevSpace := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c == 0x7f || c >= utf8.RuneSelf || (c == ' ' && prevSpace) {
			return false
		}
		prevSpace = c == ' '
	}
	return !prevSpace || s == ""
}
