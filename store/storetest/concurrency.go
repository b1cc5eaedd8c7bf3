package storetest

import (
	"sync"
	"testing"

	"github.com/toolgate/toolgate/store"
)

// testConcurrentRunInsertBatch writes batches from several goroutines while
// others read, as the run recorder and the API do, and checks every run
// landed.
func testConcurrentRunInsertBatch(t *testing.T, s store.Store) {
	const (
		writers   = 8
		batches   = 5
		batchSize = 20
	)
	ctx := t.Context()
	ws := mustInsertWorkspace(t, s, "acme")

	var (
		wg   sync.WaitGroup
		errs = make(chan error, 2*writers*batches)
	)
	for range writers {
		wg.Go(func() {
			for range batches {
				runs := make([]*store.Run, batchSize)
				for i := range runs {
					runs[i] = newRun(ws.ID)
				}
				if err := s.RunInsertBatch(ctx, runs); err != nil {
					errs <- err
				}
			}
		})
		wg.Go(func() {
			for range batches {
				if _, err := s.RunList(ctx, ws.ID, store.RunListParams{Tool: "search"}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent call: %v", err)
	}

	seen := make(map[string]bool)
	cursor := ""
	for {
		page, err := s.RunList(ctx, ws.ID, store.RunListParams{ListParams: store.ListParams{Limit: store.ListLimitMax, Cursor: cursor}})
		if err != nil {
			t.Fatalf("RunList: %v", err)
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			if seen[r.ID] {
				t.Errorf("run %s listed twice", r.ID)
			}
			seen[r.ID] = true
		}
		cursor = page[len(page)-1].ID
	}
	if got, want := len(seen), writers*batches*batchSize; got != want {
		t.Errorf("got %d runs, want %d", got, want)
	}
}
