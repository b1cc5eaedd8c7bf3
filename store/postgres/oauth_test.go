package postgres_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/postgres"
	"github.com/toolgate/toolgate/store/storetest"
	"github.com/toolgate/toolgate/store/testdb"
)

// openReplicas opens n stores on one fresh schema, as n replicas sharing a
// database would, and inserts a workspace with one connection through the
// first.
func openReplicas(t *testing.T, n int) (replicas []*postgres.Store, workspaceID, connectionID string) {
	t.Helper()
	schemaURL := testdb.PostgresURL(t)
	for range n {
		s, err := postgres.Open(t.Context(), schemaURL)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		replicas = append(replicas, s)
	}
	now := time.Now().UTC()
	ws := &store.Workspace{ID: store.NewID(), Name: "acme", CreatedAt: now}
	if err := replicas[0].WorkspaceInsert(t.Context(), ws); err != nil {
		t.Fatalf("WorkspaceInsert: %v", err)
	}
	conn := &store.Connection{ID: store.NewID(), WorkspaceID: ws.ID, Name: "crm", BaseURL: "https://crm.example.com",
		CreatedAt: now, UpdatedAt: now}
	if err := replicas[0].ConnectionInsert(t.Context(), conn); err != nil {
		t.Fatalf("ConnectionInsert: %v", err)
	}
	return replicas, ws.ID, conn.ID
}

func TestOAuthTokenUpdateAcrossReplicas(t *testing.T) {
	replicas, workspaceID, connectionID := openReplicas(t, 2)
	storetest.OAuthTokenUpdateAcrossStores(t, []store.Store{replicas[0], replicas[1]}, workspaceID, connectionID, 10)
}

// TestTokenWritesWaitForOtherReplicasUpdate holds an OAuthTokenUpdate open
// on one replica and checks, by watching pg_locks, that a write of the same
// token on another replica waits for it instead of overlapping.
func TestTokenWritesWaitForOtherReplicasUpdate(t *testing.T) {
	token := func(workspaceID, connectionID, access string) *store.OAuthToken {
		return &store.OAuthToken{WorkspaceID: workspaceID, ConnectionID: connectionID, AccessToken: []byte(access),
			TokenType: "Bearer", Status: store.OAuthStatusConnected, UpdatedAt: time.Now().UTC()}
	}
	tests := []struct {
		name string
		// write runs on the second replica while the first is inside fn.
		write func(ctx context.Context, s *postgres.Store, inside *atomic.Int32, workspaceID, connectionID string) error
		// wantVersion and wantAccess describe the row after both calls.
		wantVersion int64
		wantAccess  string
	}{
		{
			name: "update",
			write: func(ctx context.Context, s *postgres.Store, inside *atomic.Int32, workspaceID, connectionID string) error {
				_, err := s.OAuthTokenUpdate(ctx, workspaceID, connectionID, func(current *store.OAuthToken) (*store.OAuthToken, error) {
					if inside.Add(1) != 1 {
						t.Errorf("second replica's fn ran while the first's was running")
					}
					defer inside.Add(-1)
					if current == nil || current.Version != 1 {
						t.Errorf("second replica's fn: got current %+v, want the first replica's version 1", current)
					}
					return token(workspaceID, connectionID, "second"), nil
				})
				return err
			},
			wantVersion: 2,
			wantAccess:  "second",
		},
		{
			name: "put",
			write: func(ctx context.Context, s *postgres.Store, _ *atomic.Int32, workspaceID, connectionID string) error {
				return s.OAuthTokenPut(ctx, token(workspaceID, connectionID, "second"))
			},
			wantVersion: 2,
			wantAccess:  "second",
		},
		{
			name: "delete",
			write: func(ctx context.Context, s *postgres.Store, _ *atomic.Int32, workspaceID, connectionID string) error {
				return s.OAuthTokenDelete(ctx, workspaceID, connectionID)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			replicas, workspaceID, connectionID := openReplicas(t, 2)
			first, second := replicas[0], replicas[1]

			var (
				inside  atomic.Int32
				entered = make(chan struct{})
				release = make(chan struct{})
				done    = make(chan error, 1)
				wg      sync.WaitGroup
			)
			// Let the first replica's fn go however the test ends, so that
			// its connection returns to the pool before Close.
			releaseOnce := sync.OnceFunc(func() { close(release) })
			defer releaseOnce()
			firstDone := make(chan struct{})
			wg.Go(func() {
				defer close(firstDone)
				_, err := first.OAuthTokenUpdate(ctx, workspaceID, connectionID, func(*store.OAuthToken) (*store.OAuthToken, error) {
					inside.Add(1)
					defer inside.Add(-1)
					close(entered)
					<-release
					return token(workspaceID, connectionID, "first"), nil
				})
				if err != nil {
					t.Errorf("first replica's OAuthTokenUpdate: %v", err)
				}
			})
			select {
			case <-entered:
			case <-firstDone:
				t.Fatalf("first replica's OAuthTokenUpdate returned without calling fn")
			}
			wg.Go(func() { done <- tt.write(ctx, second, &inside, workspaceID, connectionID) })

			// Wait until the second replica is blocked on the token's
			// advisory lock: a real overlap, proven by the server.
			waitForLockWaiter(ctx, t, first, first.TokenLockName(workspaceID, connectionID), done)
			releaseOnce()
			if err := <-done; err != nil {
				t.Fatalf("second replica's write: %v", err)
			}
			wg.Wait()

			got, err := first.OAuthTokenGet(ctx, workspaceID, connectionID)
			if tt.wantVersion == 0 {
				if err == nil {
					t.Errorf("OAuthTokenGet after delete: got %+v, want %v", got, store.ErrNotFound)
				}
				return
			}
			if err != nil {
				t.Fatalf("OAuthTokenGet: %v", err)
			}
			if got.Version != tt.wantVersion || string(got.AccessToken) != tt.wantAccess {
				t.Errorf("OAuthTokenGet: got version %d, access %q; want %d, %q",
					got.Version, got.AccessToken, tt.wantVersion, tt.wantAccess)
			}
		})
	}
}

// waitForLockWaiter polls pg_locks until some session waits for the
// advisory lock named name, failing t if ctx ends first or if the waiter's
// call reports on done, having finished without waiting.
func waitForLockWaiter(ctx context.Context, t *testing.T, s *postgres.Store, name string, done <-chan error) {
	t.Helper()
	for {
		select {
		case err := <-done:
			t.Fatalf("second replica's write finished while the first held the lock (error %v)", err)
		default:
		}
		var waiting bool
		err := s.Pool().QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks
			WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1
				AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
				AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0))`, name).Scan(&waiting)
		if err != nil {
			t.Fatalf("waiting for a session to wait on the token lock: %v", err)
		}
		if waiting {
			return
		}
	}
}

func TestRunTx(t *testing.T) {
	s := openTestStore(t)
	storetest.RunTx(t, s, func(ctx context.Context, fn func(storetest.RunTxWriter) error) error {
		return pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error { return fn(runTxWriter{s, tx}) })
	})
}

// runTxWriter binds the store's transactional run writes to tx.
type runTxWriter struct {
	s  *postgres.Store
	tx pgx.Tx
}

func (w runTxWriter) Insert(ctx context.Context, runs ...*store.Run) error {
	return w.s.RunInsertManyTx(ctx, w.tx, runs)
}
func (w runTxWriter) Update(ctx context.Context, runs ...*store.Run) ([]bool, error) {
	return w.s.RunUpdateUnfinishedManyTx(ctx, w.tx, runs)
}
