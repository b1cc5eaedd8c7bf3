package admin

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/toolgate/toolgate/apikey"
	"github.com/toolgate/toolgate/changes"
	"github.com/toolgate/toolgate/problem"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/tenant"
	"github.com/toolgate/toolgate/tools"
)

// Keys are the use cases of API keys, and authentication by key.
type Keys struct {
	d     *deps
	cache keyCache
}

func newKeys(d *deps) *Keys { return &Keys{d: d} }

// KeyInput is a key to create.
type KeyInput struct {
	Name    string `json:"name"`
	Role    string `json:"role"`
	AgentID string `json:"agent_id"`
}

// Key is a key as the admin API shows it. Plaintext is set only in the answer
// to its creation: the plaintext is never stored.
type Key struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	AgentID   string     `json:"agent_id,omitempty"`
	Prefix    string     `json:"prefix"`
	Plaintext string     `json:"key,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

func viewKey(k *store.APIKey) Key {
	return Key{ID: k.ID, Name: k.Name, Role: k.Role, AgentID: k.AgentID, Prefix: k.Prefix, CreatedAt: k.CreatedAt, RevokedAt: k.RevokedAt}
}

// Create makes a key and returns it with its plaintext, shown this once.
func (s *Keys) Create(ctx context.Context, workspaceID string, in *KeyInput) (*Key, error) {
	var errs []tools.FieldError
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 200 {
		errs = append(errs, tools.FieldError{Path: "name", Message: "is required (at most 200 characters)"})
	}
	switch in.Role {
	case store.RoleAdmin:
		if in.AgentID != "" {
			errs = append(errs, tools.FieldError{Path: "agent_id", Message: "must be empty for an admin key"})
		}
	case store.RoleAgent:
		if in.AgentID == "" {
			errs = append(errs, tools.FieldError{Path: "agent_id", Message: "is required for an agent key"})
		} else if _, err := s.d.store.AgentGet(ctx, workspaceID, in.AgentID); errors.Is(err, store.ErrNotFound) {
			errs = append(errs, tools.FieldError{Path: "agent_id", Message: "no agent with this id"})
		} else if err != nil {
			return nil, err
		}
	default:
		errs = append(errs, tools.FieldError{Path: "role", Message: `must be "admin" or "agent"`})
	}
	if len(errs) > 0 {
		return nil, problem.Invalidf(errs, "the key request is invalid")
	}
	plain, prefix, hash := apikey.New()
	key := &store.APIKey{
		ID: store.NewID(), WorkspaceID: workspaceID, Name: in.Name, Role: in.Role,
		AgentID: in.AgentID, Prefix: prefix, Hash: hash, CreatedAt: s.d.now().UTC(),
	}
	if err := s.d.store.APIKeyInsert(ctx, key); err != nil {
		return nil, err
	}
	v := viewKey(key)
	v.Plaintext = plain
	return &v, nil
}

// List pages through the workspace's keys.
func (s *Keys) List(ctx context.Context, workspaceID string, p store.ListParams) (*Page[Key], error) {
	keys, err := s.d.store.APIKeyList(ctx, workspaceID, p)
	if err != nil {
		return nil, err
	}
	return pageOf(keys, p, func(k *store.APIKey) string { return k.ID }, func(k *store.APIKey) (Key, error) { return viewKey(k), nil })
}

// Revoke revokes a key at once on this replica (others follow the change)
// and ends the console sessions signed in with it.
func (s *Keys) Revoke(ctx context.Context, workspaceID, id string) error {
	if err := s.d.store.APIKeyRevoke(ctx, workspaceID, id, s.d.now().UTC()); err != nil {
		return notFoundAs(err, "key")
	}
	s.cache.forget(id)
	s.d.notify(ctx, workspaceID, changes.Keys, id)
	if _, err := s.d.store.SessionDeleteByKey(ctx, workspaceID, id); err != nil {
		return err
	}
	return nil
}

// ErrUnauthorized answers a missing, malformed, unknown or revoked key.
var ErrUnauthorized = &problem.Error{Kind: problem.Unauthorized,
	Message: "missing or invalid API key: send Authorization: Bearer tg_..."}

// KeyCacheTTL bounds how long a key revoked through another replica keeps
// working on this one when no change reaches it; a key revoked through
// this replica stops at once.
const KeyCacheTTL = tools.CatalogTTLDefault

// keyCacheMax bounds the cache; it is emptied when full.
const keyCacheMax = 10000

// Authenticate resolves a bearer key (the token without "Bearer ") to its
// principal. Anything but a live key is ErrUnauthorized.
func (s *Keys) Authenticate(ctx context.Context, token string) (*tenant.Principal, error) {
	if !apikey.LooksValid(token) {
		return nil, ErrUnauthorized
	}
	hash := apikey.Hash(token)
	now := s.d.now()
	if p := s.cache.get(hash, now); p != nil {
		return p, nil
	}
	key, err := s.d.store.APIKeyGetByHash(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrUnauthorized
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(hash, key.Hash) != 1 {
		return nil, ErrUnauthorized
	}
	p := &tenant.Principal{WorkspaceID: key.WorkspaceID, KeyID: key.ID, Role: key.Role, AgentID: key.AgentID}
	s.cache.put(hash, p, now)
	return p, nil
}

// Observe follows changes made elsewhere: a revoked key leaves the cache.
// Subscribe it to the change bus.
func (s *Keys) Observe(c changes.Change) {
	switch {
	case c.Everything():
		s.cache.clear()
	case c.What == changes.Keys && c.ID != "":
		s.cache.forget(c.ID)
	}
}

// keyCache remembers resolved keys so the hot path does not query the store
// on every request.
type keyCache struct {
	mu      sync.RWMutex
	entries map[string]keyEntry // by SHA-256 of the key
}

type keyEntry struct {
	p        *tenant.Principal
	loadedAt time.Time
}

func (k *keyCache) get(hash []byte, now time.Time) *tenant.Principal {
	k.mu.RLock()
	e, ok := k.entries[string(hash)]
	k.mu.RUnlock()
	if !ok || now.Sub(e.loadedAt) >= KeyCacheTTL {
		return nil
	}
	return e.p
}

func (k *keyCache) put(hash []byte, p *tenant.Principal, now time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.entries == nil || len(k.entries) >= keyCacheMax {
		k.entries = make(map[string]keyEntry)
	}
	k.entries[string(hash)] = keyEntry{p: p, loadedAt: now}
}

// clear empties the cache.
func (k *keyCache) clear() {
	k.mu.Lock()
	defer k.mu.Unlock()
	clear(k.entries)
}

// forget drops a key (by ID) from the cache.
func (k *keyCache) forget(keyID string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for h, e := range k.entries {
		if e.p.KeyID == keyID {
			delete(k.entries, h)
		}
	}
}
