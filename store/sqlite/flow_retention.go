package sqlite

import (
	"context"
	"fmt"
	"time"
)

// FlowSessionDeleteBefore deletes the sessions of every workspace last
// updated before t; their steps go with them (ON DELETE CASCADE).
func (s *Store) FlowSessionDeleteBefore(ctx context.Context, t time.Time) (int, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM flow_sessions WHERE updated_at < ?`, micros(t))
	if err != nil {
		return 0, fmt.Errorf("deleting flow sessions updated before %s: %w", t, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("deleting flow sessions updated before %s: %w", t, err)
	}
	return int(n), nil
}
