-- Retention deletes flow sessions by when they were last updated.
CREATE INDEX flow_sessions_updated_at ON flow_sessions (updated_at);
