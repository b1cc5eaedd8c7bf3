// Package background runs tool calls as durable jobs on River: a background
// call is validated synchronously, its run and its job are created in one
// transaction, and workers in every serve process (any replica sharing a
// PostgreSQL database) execute it, retrying transient failures with
// exponential backoff and jitter. A run's final state is written, with its
// callback's job, before its job completes, so a crash never leaves a
// finished run unrecorded; a job whose worker died is rescued and run again
// (at-least-once: the upstream sees the same Idempotency-Key, the run ID, on
// every attempt), and a rescued job whose run already finished completes.
// The writes of runs and jobs go through a group commit: those that arrive
// together share one transaction, and each waits for its commit. Each attempt is on the run's record before its request is
// sent, so an attempt cut short by a crash or a shutdown stays listed (as
// interrupted) and counts against the tool's attempts. When a run ends, an
// optional signed callback is delivered by a job of its own.
//
// The queue lives in the store's own database: the store hands out its
// handle and writes runs inside the queue's transactions through the
// interfaces this package declares (SQLiteStore, PgxStore).
package background
