package invoke

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tools"
)

// Bounds of the response cache.
const (
	// CacheEntryMaxBytes bounds one cached result: a larger one is not
	// cached.
	CacheEntryMaxBytes = 256 << 10
	// CacheWorkspaceMaxBytesDefault bounds the cached results of one
	// workspace: the sweep removes the entries that expire first beyond it.
	CacheWorkspaceMaxBytesDefault = 64 << 20
)

// cachedResult is what the cache keeps of a call: the shaped, redacted
// result the model read.
type cachedResult struct {
	StatusCode int             `json:"status_code"`
	Result     json.RawMessage `json:"result"`
	Truncated  bool            `json:"truncated,omitempty"`
}

// cacheKey is the key of an inspected call's result: its workspace, its
// connection, the request as it would be sent (redacted and without
// credentials, so the key holds no secret) and, with scope user, the
// caller; and the tool version, whose response settings shaped the
// result. A user-scoped call without a user_id is not cached ("").
func cacheKey(call *tools.Call, in *tools.Inspection) string {
	user := ""
	if call.Tool.Def.Cache.EffectiveScope() == tools.CacheScopeUser {
		if user = userOf(call); user == "" {
			return ""
		}
	}
	connID := ""
	if call.Conn != nil {
		connID = call.Conn.ID
	}
	h := sha256.New()
	for _, part := range []string{call.WorkspaceID, connID, call.Tool.Def.Cache.EffectiveScope(), user,
		call.Tool.ToolID, strconv.Itoa(call.Tool.Version), in.RequestHash()} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// cacheLookup answers a call from the cache: a hit is a success that sent
// nothing, recorded as a cache hit. A miss (or a cache that cannot be
// read) returns nil: the call goes on.
func (iv *Invoker) cacheLookup(ctx context.Context, call *tools.Call, in *tools.Inspection, key string) (*tools.Result, *store.Run) {
	if key == "" {
		return nil, nil
	}
	raw, err := iv.store.CacheGet(ctx, call.WorkspaceID, key, iv.now().UTC())
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			iv.log.WarnContext(ctx, "reading the response cache; calling the upstream", "tool", call.Tool.Name, "err", err)
		}
		iv.metrics.cache.WithLabelValues(call.Tool.Name, "miss").Inc()
		return nil, nil
	}
	var hit cachedResult
	if err := json.Unmarshal(raw, &hit); err != nil || len(hit.Result) == 0 {
		iv.metrics.cache.WithLabelValues(call.Tool.Name, "miss").Inc()
		return nil, nil
	}
	iv.metrics.cache.WithLabelValues(call.Tool.Name, "hit").Inc()
	return iv.engine.FromCache(in, hit.StatusCode, hit.Result, hit.Truncated)
}

// cacheStore keeps a successful result for the tool's TTL, unless it is
// larger than CacheEntryMaxBytes. A failure to store is logged: the call
// itself succeeded.
func (iv *Invoker) cacheStore(ctx context.Context, call *tools.Call, key string, res *tools.Result) {
	value, err := json.Marshal(cachedResult{StatusCode: res.StatusCode, Result: res.Result, Truncated: res.Truncated})
	if err != nil || len(value) > CacheEntryMaxBytes {
		return
	}
	now := iv.now().UTC()
	entry := &store.CacheEntry{WorkspaceID: call.WorkspaceID, Key: key, Value: value, CreatedAt: now,
		ExpiresAt: now.Add(call.Tool.Def.Cache.TTL())}
	if err := iv.store.CachePut(context.WithoutCancel(ctx), entry); err != nil {
		iv.log.WarnContext(ctx, "storing a result in the response cache", "tool", call.Tool.Name, "err", err)
	}
}
