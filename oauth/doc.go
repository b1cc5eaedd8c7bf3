// Package oauth gives OAuth2 connections their access tokens: the client
// credentials grant, and the authorization code grant with PKCE (S256)
// started by an admin and finished at the gateway's callback.
//
// A [Manager] implements tools.TokenSource. The store is the source of truth
// for every token: golang.org/x/oauth2 only performs the token requests, and
// whatever it returns (including a rotated refresh token) is sealed with
// secrets.Box and written before the new access token is handed out. Tokens
// are bound by their associated data to the workspace, the connection and
// their role, so a sealed value copied elsewhere does not open.
//
// Refreshes happen ahead of expiry (Config.Skew) and at most once per token:
// concurrent callers in one process share a single refresh (singleflight),
// and the refresh itself runs inside store.OAuthStore.OAuthTokenUpdate, which
// holds a lock every replica sharing the database respects; under that lock
// the stored token is read again and, when another replica already refreshed
// it, used as is.
//
// A token endpoint answer of invalid_grant (a revoked, expired or reused
// refresh token) marks an authorization-code connection needs_reauth: calls
// then fail at once with ErrNeedsReauth, without asking the token endpoint
// again, until an admin authorizes the connection again, forces a refresh or
// forgets its tokens. Other 4xx answers are never retried; 5xx answers and
// network failures are retried with exponential backoff within
// Config.TokenTimeout and the caller's deadline.
package oauth
