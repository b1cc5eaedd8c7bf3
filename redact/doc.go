// Package redact scrubs secrets from what toolgate records and logs: run
// records (rendered requests, responses, error text), URLs and headers.
//
// A [Redactor] knows a set of secret values (connection secrets, OAuth
// tokens, API keys) and replaces every occurrence of each one — raw or in
// the encodings it is likely to travel in: base64 (standard and URL
// alphabets, padded or not), percent-encoding (query and path escaping) and
// JSON string escaping — with [Placeholder]. Headers that carry credentials
// by nature (Authorization, Cookie, ...) are replaced wholesale, whatever
// their value.
//
// Redaction is for display and storage of what already happened; it is not
// an access control. A Redactor is immutable and safe for concurrent use.
package redact
