package invoke

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"

	"github.com/toolgate/toolgate/prompts"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// ConfirmationTokenPrefix starts every confirmation token.
const ConfirmationTokenPrefix = "tgc_"

// maxConfirmationTokenBytes bounds a token a caller sends before it is
// hashed and looked up.
const maxConfirmationTokenBytes = 128

// confirm lets a call with a valid confirmation token through (nil
// result): the token is bound to the workspace, agent, tool version,
// conversation and arguments, unexpired, and consumed by this call in
// the store, so that every replica accepts it once. Any other call ends
// needs_confirmation with a new token and the message to read back.
func (iv *Invoker) confirm(ctx context.Context, call *tools.Call, in *tools.Inspection, token string) (*tools.Result, error) {
	now := iv.now().UTC()
	binding := store.Confirmation{WorkspaceID: call.WorkspaceID, AgentID: call.AgentID, ToolID: call.Tool.ToolID,
		ToolVersion: call.Tool.Version, ConversationID: conversationOf(call), ArgsHash: in.ArgumentsHash()}
	if token != "" && len(token) <= maxConfirmationTokenBytes {
		binding.TokenHash = tokenHash(token)
		ok, err := iv.store.ConfirmationConsume(ctx, &binding, now)
		if err != nil {
			return nil, err
		}
		if ok {
			iv.metrics.confirmations.WithLabelValues(call.Tool.Name, "confirmed").Inc()
			return nil, nil
		}
	}
	cfg := call.Tool.Def.Confirm
	detail := "waiting for the caller's confirmation"
	if token != "" {
		detail = "the confirmation token did not match this call (other arguments or conversation, used or expired); asked again"
	}
	token = newConfirmationToken()
	binding.TokenHash = tokenHash(token)
	binding.CreatedAt, binding.ExpiresAt = now, now.Add(cfg.TTL())
	if err := iv.store.ConfirmationInsert(ctx, &binding); err != nil {
		return nil, err
	}
	res, record := iv.engine.Stop(in, tools.OutcomeNeedsConfirmation, "", detail)
	message := in.ConfirmMessage()
	res.Confirmation = &tools.Confirmation{Message: message, Token: token, ExpiresAt: binding.ExpiresAt}
	res.Message = prompts.NeedsConfirmation(prompts.ConfirmationData{Tool: call.Tool.Name, Message: message,
		Token: token, TTL: cfg.TTL()})
	iv.engine.Recorder().Record(record)
	iv.metrics.confirmations.WithLabelValues(call.Tool.Name, "requested").Inc()
	return res, nil
}

// newConfirmationToken returns a fresh token: 32 random bytes.
func newConfirmationToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return ConfirmationTokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// tokenHash is what the store keeps of a token.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
