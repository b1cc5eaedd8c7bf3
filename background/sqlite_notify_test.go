package background

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/toolgate/toolgate/store/sqlite"
	"github.com/toolgate/toolgate/store/testdb"
)

// TestSQLiteNotificationsInProcess: what River notifies through the SQLite
// driver's executors (in our transactions, in its own, in savepoints)
// reaches a listener of the topic in process, and nothing else does.
func TestSQLiteNotificationsInProcess(t *testing.T) {
	ctx := t.Context()
	db := testdb.SQLite(t).(*sqlite.Store).DB()
	d := newSQLiteDriver(db)
	l := d.GetListener(&riverdriver.GetListenenerParams{Schema: "main"})
	if err := l.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	defer l.Close(ctx)
	if err := l.Listen(ctx, insertTopic); err != nil {
		t.Fatal(err)
	}
	if err := l.Connect(ctx); err == nil {
		t.Errorf("a second Connect succeeded")
	}
	notify := func(exec riverdriver.Executor, topic, payload string) {
		t.Helper()
		if err := exec.NotifyMany(ctx, &riverdriver.NotifyManyParams{Topic: topic, Payload: []string{payload}}); err != nil {
			t.Fatal(err)
		}
	}

	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	notify(d.UnwrapExecutor(tx), insertTopic, "ours")
	notify(d.UnwrapExecutor(tx), "river_leadership", "not listened to")
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	riverTx, err := d.GetExecutor().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	notify(riverTx, insertTopic, "river's")
	savepoint, err := riverTx.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	notify(savepoint, insertTopic, "in a savepoint")
	if err := savepoint.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := riverTx.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	var got []riverdriver.Notification
	for range 3 {
		n, err := l.WaitForNotification(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, *n)
	}
	want := []riverdriver.Notification{{Topic: insertTopic, Payload: "ours"}, {Topic: insertTopic, Payload: "river's"},
		{Topic: insertTopic, Payload: "in a savepoint"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("notifications (-want +got):\n%s", diff)
	}
	if n := len(l.(*memoryListener).ch); n != 0 {
		t.Errorf("%d notifications of a topic not listened to were delivered", n)
	}
	if err := l.Unlisten(ctx, insertTopic); err != nil {
		t.Fatal(err)
	}
	notify(d.GetExecutor(), insertTopic, "after unlisten")
	if n := len(l.(*memoryListener).ch); n != 0 {
		t.Errorf("a notification after Unlisten was delivered")
	}
	waitCtx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.WaitForNotification(waitCtx); err == nil {
		t.Errorf("WaitForNotification with a done context returned no error")
	}
}

// controlTopic is River's topic of control notices (its notifier's
// NotificationTopicControl), which its client gives JobCancel.
const controlTopic = "river_control"

// TestSQLiteJobCancelNotifiesAfterCommit: cancelling a running job sends
// River's control notice in process (riversqlite would write it to a table
// nobody reads), once the cancel has committed, and never for a cancel
// rolled back or a job that was not running.
func TestSQLiteJobCancelNotifiesAfterCommit(t *testing.T) {
	tests := []struct {
		name string
		// state is the job's before the cancel.
		state rivertype.JobState
		// cancel cancels the job through d, calling before just before
		// the cancel would commit.
		cancel     func(t *testing.T, d *sqliteDriver, ops txOps[*sqliteDriver, *sql.Tx], params *riverdriver.JobCancelParams, before func())
		wantNotice bool
	}{
		{
			name: "outside a transaction", state: rivertype.JobStateRunning, wantNotice: true,
			cancel: func(t *testing.T, d *sqliteDriver, _ txOps[*sqliteDriver, *sql.Tx], params *riverdriver.JobCancelParams, before func()) {
				before()
				if _, err := d.GetExecutor().JobCancel(t.Context(), params); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "in the queue's transaction, committed", state: rivertype.JobStateRunning, wantNotice: true,
			cancel: func(t *testing.T, d *sqliteDriver, ops txOps[*sqliteDriver, *sql.Tx], params *riverdriver.JobCancelParams, before func()) {
				tx, err := ops.begin(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				defer ops.rollback(t.Context(), tx)
				if _, err := d.UnwrapExecutor(tx).JobCancel(t.Context(), params); err != nil {
					t.Fatal(err)
				}
				before()
				if err := ops.commit(t.Context(), tx); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "in the queue's transaction, rolled back", state: rivertype.JobStateRunning,
			cancel: func(t *testing.T, d *sqliteDriver, ops txOps[*sqliteDriver, *sql.Tx], params *riverdriver.JobCancelParams, before func()) {
				tx, err := ops.begin(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if _, err := d.UnwrapExecutor(tx).JobCancel(t.Context(), params); err != nil {
					t.Fatal(err)
				}
				before()
				ops.rollback(t.Context(), tx)
			},
		},
		{
			name: "in a savepoint of River's transaction, committed", state: rivertype.JobStateRunning, wantNotice: true,
			cancel: func(t *testing.T, d *sqliteDriver, _ txOps[*sqliteDriver, *sql.Tx], params *riverdriver.JobCancelParams, before func()) {
				tx, err := d.GetExecutor().Begin(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				defer tx.Rollback(t.Context())
				savepoint, err := tx.Begin(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if _, err := savepoint.JobCancel(t.Context(), params); err != nil {
					t.Fatal(err)
				}
				if err := savepoint.Commit(t.Context()); err != nil {
					t.Fatal(err)
				}
				before()
				if err := tx.Commit(t.Context()); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "in River's transaction, rolled back", state: rivertype.JobStateRunning,
			cancel: func(t *testing.T, d *sqliteDriver, _ txOps[*sqliteDriver, *sql.Tx], params *riverdriver.JobCancelParams, before func()) {
				tx, err := d.GetExecutor().Begin(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if _, err := tx.JobCancel(t.Context(), params); err != nil {
					t.Fatal(err)
				}
				before()
				if err := tx.Rollback(t.Context()); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "a job not running", state: rivertype.JobStateAvailable,
			cancel: func(t *testing.T, d *sqliteDriver, _ txOps[*sqliteDriver, *sql.Tx], params *riverdriver.JobCancelParams, before func()) {
				before()
				if _, err := d.GetExecutor().JobCancel(t.Context(), params); err != nil {
					t.Fatal(err)
				}
			},
		},
	}
	// One database for all (migrating is slow); each case has its job.
	st := testdb.SQLite(t).(*sqlite.Store)
	ops := sqliteOps(st)
	d := ops.driver
	migrator, err := rivermigrate.New(d, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrator.Migrate(t.Context(), rivermigrate.DirectionUp, nil); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			job, err := d.GetExecutor().JobInsertFull(ctx, &riverdriver.JobInsertFullParams{Kind: "report", Queue: "reports",
				State: tt.state, EncodedArgs: []byte(`{}`), Metadata: []byte(`{}`), MaxAttempts: 1, Attempt: 1, Priority: 1})
			if err != nil {
				t.Fatal(err)
			}
			l := d.GetListener(&riverdriver.GetListenenerParams{Schema: "main"})
			if err := l.Connect(ctx); err != nil {
				t.Fatal(err)
			}
			defer l.Close(ctx)
			if err := l.Listen(ctx, controlTopic); err != nil {
				t.Fatal(err)
			}
			ch := l.(*memoryListener).ch

			tt.cancel(t, d, ops, &riverdriver.JobCancelParams{ID: job.ID, CancelAttemptedAt: time.Now(), ControlTopic: controlTopic},
				func() {
					if n := len(ch); n != 0 {
						t.Errorf("%d notices before the cancel committed", n)
					}
				})

			var got []riverdriver.Notification
			for len(ch) > 0 {
				got = append(got, *<-ch)
			}
			var want []riverdriver.Notification
			if tt.wantNotice {
				want = []riverdriver.Notification{{Topic: controlTopic,
					Payload: fmt.Sprintf(`{"action":"cancel","job_id":%d,"queue":"reports"}`, job.ID)}}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("notices (-want +got):\n%s", diff)
			}
			var rows int
			if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM river_notification`).Scan(&rows); err != nil {
				t.Fatal(err)
			}
			if rows != 0 {
				t.Errorf("%d notices were written to river_notification", rows)
			}
			if n := len(d.held); n != 0 {
				t.Errorf("%d transactions still hold notices", n)
			}
		})
	}
}
