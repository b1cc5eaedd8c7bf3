package background

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/riverqueue/river/riverdriver"

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
