package sqlite_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/sqlite"
	"github.com/toolgate/toolgate/store/storetest"
)

// TestOAuthTokenUpdateLeavesWritesFree checks that no write transaction is
// open while fn runs: fn itself writes through the store, including another
// connection's token, which would wait forever on the single writer
// connection otherwise.
func TestOAuthTokenUpdateLeavesWritesFree(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	s := openTestStore(t)
	now := time.Now().UTC()
	ws := &store.Workspace{ID: store.NewID(), Name: "acme", CreatedAt: now}
	if err := s.WorkspaceInsert(ctx, ws); err != nil {
		t.Fatalf("WorkspaceInsert: %v", err)
	}
	var conns []*store.Connection
	for _, name := range []string{"crm", "mail"} {
		c := &store.Connection{ID: store.NewID(), WorkspaceID: ws.ID, Name: name, BaseURL: "https://example.com",
			CreatedAt: now, UpdatedAt: now}
		if err := s.ConnectionInsert(ctx, c); err != nil {
			t.Fatalf("ConnectionInsert: %v", err)
		}
		conns = append(conns, c)
	}
	token := func(c *store.Connection) *store.OAuthToken {
		return &store.OAuthToken{WorkspaceID: ws.ID, ConnectionID: c.ID, TokenType: "Bearer",
			Status: store.OAuthStatusConnected, UpdatedAt: now}
	}
	got, err := s.OAuthTokenUpdate(ctx, ws.ID, conns[0].ID, func(*store.OAuthToken) (*store.OAuthToken, error) {
		if err := s.SessionInsert(ctx, &store.Session{IDHash: "h", WorkspaceID: ws.ID, CreatedAt: now, ExpiresAt: now}); err != nil {
			t.Errorf("SessionInsert inside fn: %v", err)
		}
		if err := s.OAuthTokenPut(ctx, token(conns[1])); err != nil {
			t.Errorf("OAuthTokenPut(other connection) inside fn: %v", err)
		}
		return token(conns[0]), nil
	})
	if err != nil || got.Version != 1 {
		t.Fatalf("OAuthTokenUpdate: got %+v, %v; want version 1", got, err)
	}
}

func TestRunTx(t *testing.T) {
	s := openTestStore(t)
	storetest.RunTx(t, s, func(ctx context.Context, fn func(storetest.RunTxWriter) error) error {
		tx, err := s.DB().BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := fn(runTxWriter{s, tx}); err != nil {
			return err
		}
		return tx.Commit()
	})
}

// runTxWriter binds the store's transactional run writes to tx.
type runTxWriter struct {
	s  *sqlite.Store
	tx *sql.Tx
}

func (w runTxWriter) Insert(ctx context.Context, runs ...*store.Run) error {
	return w.s.RunInsertManyTx(ctx, w.tx, runs)
}
func (w runTxWriter) Update(ctx context.Context, runs ...*store.Run) ([]bool, error) {
	return w.s.RunUpdateUnfinishedManyTx(ctx, w.tx, runs)
}
