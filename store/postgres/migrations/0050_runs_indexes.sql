-- Run recording writes every index of runs on every call. Three of them
-- served no query worth their cost:
--   * (workspace_id, agent_id, idempotency_key): idempotency moved to
--     idempotency_claims (0030) and nothing reads runs by key any more;
--   * (created_at): retention bounds its DELETE by the primary key, as a
--     run's ID carries its creation time;
--   * (workspace_id, status, id): finished runs (succeeded, failed) are
--     most runs and are found by scanning (workspace_id, id); the few not
--     yet finished (queued, running, awaiting approval) get a partial index
--     of their own.
DROP INDEX runs_workspace_id_agent_id_idempotency_key;
DROP INDEX runs_created_at;
DROP INDEX runs_workspace_id_status_id;
CREATE INDEX runs_workspace_id_unfinished_id ON runs (workspace_id, id) WHERE status IN ('queued', 'running', 'awaiting_approval');
