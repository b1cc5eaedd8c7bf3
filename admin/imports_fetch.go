package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/toolgate/toolgate/egress"
	"github.com/toolgate/toolgate/openapi"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/tools"
)

// fetch gets the document of an import by URL through the egress guard:
// the same SSRF rules as tool calls (private, loopback, link-local and
// metadata addresses refused unless TOOLGATE_ALLOW_NETWORKS allows them,
// every redirect checked again), ImportFetchTimeout, and at most
// openapi.MaxDocumentBytes. Messages never say more about the network
// than whether the address was refused.
func (s *Imports) fetch(ctx context.Context, rawURL string) ([]byte, error) {
	if s.d.egress == nil {
		return nil, &problem.Error{Kind: problem.NotImplemented, Message: "this gateway cannot fetch documents: send the document as spec"}
	}
	if !tools.IsHTTPURL(rawURL) {
		return nil, requestInvalid("url", "must be an absolute http or https URL")
	}
	ctx, cancel := context.WithTimeout(ctx, ImportFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, requestInvalid("url", "is not a URL a request can be sent to")
	}
	req.Header.Set("Accept", "application/json, application/yaml;q=0.9, text/yaml;q=0.9, */*;q=0.5")
	resp, err := s.d.egress.Do(ctx, req, egress.Options{MaxResponseBytes: openapi.MaxDocumentBytes})
	if err != nil {
		// The client's error names the URL, whose query may carry a
		// token; 5xx errors are logged, so keep only what went wrong.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		switch {
		case errors.Is(err, egress.ErrBlocked):
			return nil, requestInvalid("url", "its address is not allowed: private, loopback, link-local and metadata addresses are refused unless TOOLGATE_ALLOW_NETWORKS allows them")
		case errors.Is(err, context.DeadlineExceeded):
			return nil, &problem.Error{Kind: problem.BadGateway, Message: fmt.Sprintf("fetching url took longer than %v", ImportFetchTimeout), Err: err}
		}
		return nil, &problem.Error{Kind: problem.BadGateway, Message: "url could not be fetched (" + egress.Classify(err) + ")", Err: err}
	}
	switch {
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, requestInvalid("url", "answered HTTP %d, not the document", resp.StatusCode)
	case resp.Truncated:
		return nil, requestInvalid("url", "answered more than %d bytes: the document is too large", openapi.MaxDocumentBytes)
	}
	return resp.Body, nil
}
