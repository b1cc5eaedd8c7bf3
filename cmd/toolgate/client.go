package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Bounds of the admin API client.
const (
	// clientTimeout bounds one admin API request.
	clientTimeout = 60 * time.Second
	// clientResponseBytesMax bounds an answer: a page of 500 tools with
	// large schemas (GitHub's, about 3 MiB) stays well under it.
	clientResponseBytesMax = 64 << 20
	// listPageSize is the page size of lists (the API's maximum).
	listPageSize = 500
	// listPagesMax bounds the pages of one list (a million objects).
	listPagesMax = 2000
	// listBytesMax bounds the answers of one list, all pages together.
	listBytesMax = 1 << 30
	// errorTextMax bounds the text of an error answer that is not the
	// API's JSON, as it is shown.
	errorTextMax = 200
	// errorMessageMax bounds the message of an API error answer.
	errorMessageMax = 4096
)

// adminClient calls a running gateway's admin REST API with an admin key:
// the client commands (apply, export, import) are thin clients of it.
type adminClient struct {
	base string
	key  string
	http *http.Client
}

func newAdminClient(cfg *config) *adminClient {
	return &adminClient{base: cfg.GatewayURL, key: cfg.AdminKey, http: &http.Client{
		// A redirect is not followed: Go would send the body (secrets)
		// again, and the admin key to another port of the same host.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// apiError is an error answer of the API: its status and its body's
// {"error": {"type", "message", "details"}}.
type apiError struct {
	method, path string
	status       int
	Type         string          `json:"type"`
	Message      string          `json:"message"`
	Details      json.RawMessage `json:"details"`
}

func (e *apiError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.status)
	}
	s := fmt.Sprintf("%s %s: %d %s", e.method, e.path, e.status, msg)
	if e.status == http.StatusUnauthorized {
		s += " (set TOOLGATE_ADMIN_KEY or -admin-key to an admin key of the workspace)"
	}
	return s
}

// fieldError is one field's problem, as the API's details and validation
// reports name it.
type fieldError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// fieldErrors returns the field errors of an answer: the details of a
// validation failure ([{path, message}]), or the field a bad request
// names ({field}). The message alone (path "") when there are none.
func (e *apiError) fieldErrors() []fieldError {
	var list []fieldError
	if json.Unmarshal(e.Details, &list) == nil && len(list) > 0 {
		return list
	}
	var one struct {
		Field string `json:"field"`
	}
	if json.Unmarshal(e.Details, &one) == nil && one.Field != "" {
		return []fieldError{{Path: one.Field, Message: e.Message}}
	}
	return []fieldError{{Message: e.Message}}
}

// do sends a request with a JSON body (nil for none; []byte is sent as
// is) and decodes a JSON answer into out (nil to ignore it). A status
// other than 2xx is an *apiError.
func (c *adminClient) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	switch b := in.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	case io.Reader:
		body = b
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return err
		}
		body = bytes.NewReader(data)
	}
	return c.send(ctx, clientTimeout, method, path, body, out)
}

// send is do with a timeout and a body reader.
func (c *adminClient) send(ctx context.Context, timeout time.Duration, method, path string, body io.Reader, out any) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if sb, ok := body.(sizedBody); ok {
		// A length, not a chunked upload; and the body again should the
		// transport need to resend it.
		req.ContentLength = sb.size()
		req.GetBody = sb.again
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("cannot reach the gateway at %s: %v (is it running? set TOOLGATE_URL or -url)", c.base, ue.Err)
		}
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 3 {
		return c.redirected(method, path, resp)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, clientResponseBytesMax+1))
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if len(data) > clientResponseBytesMax {
		return fmt.Errorf("%s %s: the answer is over %d MiB", method, path, clientResponseBytesMax>>20)
	}
	if resp.StatusCode/100 != 2 {
		e := &apiError{method: method, path: path, status: resp.StatusCode}
		var envelope struct {
			Error *apiError `json:"error"`
		}
		envelope.Error = e
		if json.Unmarshal(data, &envelope) != nil || e.Message == "" {
			e.Message = c.printable(string(data), errorTextMax)
		} else {
			e.Message = c.printable(e.Message, errorMessageMax)
		}
		return e
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: the answer is not the JSON expected: %v", method, path, err)
	}
	return nil
}

// list reads every page of an admin list (GET path?limit=...&cursor=...),
// at most listPagesMax pages and listBytesMax bytes; a cursor the
// gateway gives twice ends it with an error (it would never end).
func (c *adminClient) list(ctx context.Context, path string) ([]json.RawMessage, error) {
	var all []json.RawMessage
	cursor := ""
	seen := map[string]bool{}
	total := 0
	for pages := 1; ; pages++ {
		if pages > listPagesMax {
			return nil, fmt.Errorf("GET %s: the list is over %d pages", path, listPagesMax)
		}
		q := url.Values{"limit": {fmt.Sprint(listPageSize)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page struct {
			Items      []json.RawMessage `json:"items"`
			NextCursor string            `json:"next_cursor"`
		}
		if err := c.do(ctx, http.MethodGet, path+"?"+q.Encode(), nil, &page); err != nil {
			return nil, err
		}
		for _, item := range page.Items {
			total += len(item)
		}
		if total > listBytesMax {
			return nil, fmt.Errorf("GET %s: the list is over %d MiB", path, listBytesMax>>20)
		}
		all = append(all, page.Items...)
		if page.NextCursor == "" || len(page.Items) == 0 {
			return all, nil
		}
		if seen[page.NextCursor] {
			return nil, fmt.Errorf("GET %s: the gateway gave the same next_cursor twice; the list would never end", path)
		}
		seen[page.NextCursor] = true
		cursor = page.NextCursor
	}
}

// sizedBody is a request body that knows its length and can be read
// again from the start.
type sizedBody interface {
	size() int64
	again() (io.ReadCloser, error)
}

// redirected is the error of a redirect: the client follows none.
func (c *adminClient) redirected(method, path string, resp *http.Response) error {
	to := "another address"
	if loc, err := resp.Location(); err == nil {
		to = c.printable(loc.Redacted(), errorTextMax)
	}
	return fmt.Errorf("%s %s: %d: the gateway redirected to %s; set TOOLGATE_URL (or -url) to it", method, path, resp.StatusCode, to)
}

// printable is text of an answer made fit to print: control characters
// and invalid UTF-8 dropped, the admin key (should the gateway echo it)
// replaced, at most max bytes cut on a rune boundary.
func (c *adminClient) printable(s string, max int) string {
	if c.key != "" {
		s = strings.ReplaceAll(s, c.key, "[admin key]")
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "") {
		switch {
		case r == '\n' || r == '\t' || r == '\r':
			r = ' '
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			continue
		}
		if b.Len()+utf8.RuneLen(r) > max {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}
