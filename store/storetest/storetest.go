// Package storetest is the test suite every store.Store implementation
// passes: call Run from the implementation's tests with a function that opens
// a fresh, empty store.
package storetest

import (
	"testing"

	"github.com/toolgate/toolgate/store"
)

// Run runs the whole suite against stores made by newStore. newStore must
// return a new, empty store for each call and close it in t.Cleanup: each
// subtest gets its own (a file, a schema or a database), so that the
// subtests run in parallel, as river's riverdrivertest does. newStore is
// called from parallel subtests.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"Workspaces", testWorkspaces},
		{"TimePrecision", testTimePrecision},
		{"APIKeys", testAPIKeys},
		{"Connections", testConnections},
		{"Tools", testTools},
		{"ToolPublish", testToolPublish},
		{"Agents", testAgents},
		{"Runs", testRuns},
		{"RunListFilters", testRunListFilters},
		{"RunDeleteBefore", testRunDeleteBefore},
		{"RunStats", testRunStats},
		{"RunStatsSample", testRunStatsSample},
		{"Isolation", testIsolation},
		{"Pagination", testPagination},
		{"ConcurrentRunInsertBatch", testConcurrentRunInsertBatch},
		{"OAuthTokens", testOAuthTokens},
		{"OAuthTokenUpdate", testOAuthTokenUpdate},
		{"OAuthTokenUpdateConcurrent", testOAuthTokenUpdateConcurrent},
		{"OAuthStates", testOAuthStates},
		{"Sessions", testSessions},
		{"SessionDeleteByKey", testSessionDeleteByKey},
		{"IdempotencyClaims", testIdempotencyClaims},
		{"IdempotencyClaimConcurrent", testIdempotencyClaimConcurrent},
		{"ReplayGuard", testReplayGuard},
		{"Confirmations", testConfirmations},
		{"Approvals", testApprovals},
		{"RateTake", testRateTake},
		{"RateTakeConcurrent", testRateTakeConcurrent},
		{"Slots", testSlots},
		{"SlotsConcurrent", testSlotsConcurrent},
		{"Cache", testCache},
		{"WorkspaceSettings", testWorkspaceSettings},
		{"GuardrailsSweep", testGuardrailsSweep},
		{"Ping", testPing},
		{"MCPSessions", testMCPSessions},
	}
	tests = append(tests, flowTests...)
	tests = append(tests, toolBatchTests...)
	tests = append(tests, toolListingTests...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, newStore(t))
		})
	}
}
