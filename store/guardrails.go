package store

import (
	"context"
	"time"
)

// RunStatusAwaitingApproval is the status of a run that waits for an admin
// to approve it: nothing has been sent, and no job exists until it is
// approved.
const RunStatusAwaitingApproval = "awaiting_approval"

// Approval statuses.
const (
	ApprovalPending  = "pending"
	ApprovalApproved = "approved"
	ApprovalRejected = "rejected"
	ApprovalExpired  = "expired"
)

// Confirmation is a pending caller confirmation: the hash of the token the
// model was given, and what it is bound to. A call carrying the token runs
// only if every binding matches, at most once, before ExpiresAt.
type Confirmation struct {
	// TokenHash is the SHA-256 (hex) of the token; the token itself is
	// never stored.
	TokenHash      string
	WorkspaceID    string
	AgentID        string
	ToolID         string
	ToolVersion    int
	ConversationID string
	// ArgsHash is the SHA-256 (hex) of the canonical arguments.
	ArgsHash  string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Approval is a run's request for an admin's approval, and its decision.
type Approval struct {
	WorkspaceID string
	RunID       string
	AgentID     string
	ToolName    string
	// Status is ApprovalPending until decided.
	Status string
	// CallbackURL receives the run's result once it ends (approved and
	// run, rejected or expired).
	CallbackURL string
	// TimeoutMS is the tool's timeout, for the job of an approved run.
	TimeoutMS   int
	RequestedAt time.Time
	ExpiresAt   time.Time
	// DecidedBy is the admin key that decided (empty for an expiry).
	DecidedBy string
	DecidedAt *time.Time
	Reason    string
}

// ApprovalDecision ends a pending approval and sets its run's state in the
// same transaction.
type ApprovalDecision struct {
	WorkspaceID string
	RunID       string
	// Status is ApprovalApproved, ApprovalRejected or ApprovalExpired.
	Status    string
	DecidedBy string
	Reason    string
	At        time.Time
	// RunStatus, RunOutcome and RunError are the run's new state: queued
	// for an approved run, failed with its outcome otherwise (FinishedAt
	// is then At).
	RunStatus  string
	RunOutcome string
	RunError   string
}

// RateBucket is one rate limit's state key and its GCRA parameters: one
// call per Interval on average, at most Burst at once.
type RateBucket struct {
	Key      string
	Interval time.Duration
	Burst    int
}

// SlotLease is a concurrency slot held by one call until it is released or
// its lease ends (a call whose replica died frees its slot then).
type SlotLease struct {
	WorkspaceID string
	Key         string
	Slot        int
	Holder      string
}

// CacheEntry is a cached, already redacted, upstream result.
type CacheEntry struct {
	WorkspaceID string
	// Key is the hash of what the result depends on.
	Key       string
	Value     []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// WorkspaceSettings are a workspace's optional settings.
type WorkspaceSettings struct {
	WorkspaceID string
	// ApprovalWebhookURL receives a signed announcement of every approval
	// request; empty means none.
	ApprovalWebhookURL string
	UpdatedAt          time.Time
}

// GuardrailSweep bounds what GuardrailsSweep keeps.
type GuardrailSweep struct {
	Now time.Time
	// CacheMaxBytes bounds the cached values of one workspace: past it,
	// the entries that expire first go.
	CacheMaxBytes int64
	// DecidedBefore: decided approvals older than this whose run no longer
	// exists go.
	DecidedBefore time.Time
}

// GuardrailStore persists the guardrails' state, shared by every replica:
// confirmations, approvals, rate and concurrency limits, the response
// cache and workspace settings. Every Store implements it.
type GuardrailStore interface {
	// ConfirmationInsert stores a pending confirmation.
	ConfirmationInsert(ctx context.Context, c *Confirmation) error
	// ConfirmationConsume deletes the confirmation whose token hash and
	// bindings all equal c's and that has not expired at now, and reports
	// whether there was one: a token runs a call at most once.
	ConfirmationConsume(ctx context.Context, c *Confirmation, now time.Time) (bool, error)

	// ApprovalRequest stores a run awaiting approval and its approval in
	// one transaction.
	ApprovalRequest(ctx context.Context, run *Run, a *Approval) error
	// ApprovalGet returns the workspace's approval of a run.
	ApprovalGet(ctx context.Context, workspaceID, runID string) (*Approval, error)
	// ApprovalList pages through the workspace's approvals with the given
	// status (all when empty), oldest request first.
	ApprovalList(ctx context.Context, workspaceID, status string, p ListParams) ([]*Approval, error)
	// ApprovalListExpired returns up to limit pending approvals of every
	// workspace that expired at now.
	ApprovalListExpired(ctx context.Context, now time.Time, limit int) ([]*Approval, error)
	// ApprovalDecide ends a pending approval and updates its run in one
	// transaction. An approval that does not exist is ErrNotFound; one
	// already decided is ErrConflict.
	ApprovalDecide(ctx context.Context, d *ApprovalDecision) (*Approval, error)

	// RateTake takes one call from every bucket, or from none: it returns
	// 0 when the call is admitted, else how long until it would be.
	RateTake(ctx context.Context, workspaceID string, buckets []RateBucket, now time.Time) (time.Duration, error)
	// SlotAcquire takes a free one of limit slots of key for holder until
	// until (a slot whose lease ended at now is free); ok is false when
	// all are held.
	SlotAcquire(ctx context.Context, workspaceID, key string, limit int, holder string, now, until time.Time) (lease SlotLease, ok bool, err error)
	// SlotRelease frees a slot if its holder still holds it.
	SlotRelease(ctx context.Context, l SlotLease) error

	// CacheGet returns an unexpired entry's value; ErrNotFound otherwise.
	CacheGet(ctx context.Context, workspaceID, key string, now time.Time) ([]byte, error)
	// CachePut stores (or replaces) an entry.
	CachePut(ctx context.Context, e *CacheEntry) error

	// WorkspaceSettingsGet returns a workspace's settings (empty ones
	// when none were set); ErrNotFound for a workspace that does not exist.
	WorkspaceSettingsGet(ctx context.Context, workspaceID string) (*WorkspaceSettings, error)
	// WorkspaceSettingsPut stores a workspace's settings.
	WorkspaceSettingsPut(ctx context.Context, s *WorkspaceSettings) error

	// GuardrailsSweep deletes expired confirmations, cache entries,
	// concurrency leases and idle rate states, trims each workspace's
	// cache to its bound, and drops old decided approvals of deleted
	// runs. It returns how many rows went.
	GuardrailsSweep(ctx context.Context, p GuardrailSweep) (int, error)
}
