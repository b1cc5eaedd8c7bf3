package postgres

// TokenLockName exposes tokenLockName to tests that watch pg_locks.
func (s *Store) TokenLockName(workspaceID, connectionID string) string {
	return s.tokenLockName(workspaceID, connectionID)
}
