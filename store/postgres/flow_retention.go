package postgres

import (
	"context"
	"fmt"
	"time"
)

// FlowSessionDeleteBefore deletes the sessions of every workspace last
// updated before t; their steps go with them (ON DELETE CASCADE).
func (s *Store) FlowSessionDeleteBefore(ctx context.Context, t time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM flow_sessions WHERE updated_at < $1`, t)
	if err != nil {
		return 0, fmt.Errorf("deleting flow sessions updated before %s: %w", t, err)
	}
	return int(tag.RowsAffected()), nil
}
