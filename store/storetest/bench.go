package storetest

import (
	"fmt"
	"testing"

	"github.com/toolgate/toolgate/store"
)

// BenchToolInsert measures ToolInsert of one draft tool into s.
func BenchToolInsert(b *testing.B, s store.Store) {
	ws := mustInsertWorkspace(b, s, "bench")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if err := s.ToolInsert(b.Context(), newTool(ws.ID, fmt.Sprintf("tool-%d", i))); err != nil {
			b.Fatalf("ToolInsert: %v", err)
		}
	}
}

// BenchToolGet measures ToolGet of one tool among a hundred in s.
func BenchToolGet(b *testing.B, s store.Store) {
	ws := mustInsertWorkspace(b, s, "bench")
	var tools []*store.Tool
	for i := range 100 {
		tool := newTool(ws.ID, fmt.Sprintf("tool-%d", i))
		if err := s.ToolInsert(b.Context(), tool); err != nil {
			b.Fatalf("ToolInsert: %v", err)
		}
		tools = append(tools, tool)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if _, err := s.ToolGet(b.Context(), ws.ID, tools[i%len(tools)].ID); err != nil {
			b.Fatalf("ToolGet: %v", err)
		}
	}
}

// BenchRunInsertBatch measures RunInsertBatch of batchSize new runs into s.
func BenchRunInsertBatch(b *testing.B, s store.Store, batchSize int) {
	ws := mustInsertWorkspace(b, s, "bench")
	b.ReportAllocs()
	batches := 0
	for b.Loop() {
		batches++
		b.StopTimer()
		runs := make([]*store.Run, batchSize)
		for i := range runs {
			runs[i] = newRun(ws.ID)
		}
		b.StartTimer()
		if err := s.RunInsertBatch(b.Context(), runs); err != nil {
			b.Fatalf("RunInsertBatch: %v", err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(batches*batchSize), "ns/run")
}
