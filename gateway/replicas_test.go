package gateway_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/toolgate/toolgate/changes"
	"github.com/toolgate/toolgate/store"
	"github.com/toolgate/toolgate/store/postgres"
	"github.com/toolgate/toolgate/store/testdb"
)

// twoReplicas starts two gateways on one PostgreSQL schema, each with its
// own store handle (as two processes would have).
func twoReplicas(t *testing.T) (a, b *env) {
	t.Helper()
	dsn := testdb.PostgresURL(t)
	open := func(tb testing.TB) store.Store {
		st, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { st.Close() })
		return st
	}
	a = newEnv(t, open)
	b = a.replica(open(t))
	return a, b
}

// heard returns a channel that receives the changes b's bus delivers.
func heard(e *env) <-chan changes.Change {
	ch := make(chan changes.Change, 64)
	e.app.Bus.Subscribe(func(c changes.Change) {
		select {
		case ch <- c:
		default:
		}
	})
	return ch
}

// waitChange waits (at most within) for a change of kind what on ch after
// which holds reports true, and returns how long it took. Changes of earlier
// writes may still be on their way when a test starts listening, so the
// first change of a kind need not be the one awaited: holds is checked
// after each.
func waitChange(t *testing.T, ch <-chan changes.Change, what changes.What, within time.Duration, holds func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := time.After(within)
	for {
		select {
		case c := <-ch:
			if c.What == what && holds() {
				return time.Since(start)
			}
		case <-deadline:
			t.Fatalf("no %s change reached the other replica within %s", what, within)
		}
	}
}

// TestChangesReachOtherReplicas: a key revoked and a tool published through
// one replica apply on the other as soon as the change is delivered to its
// bus (which the cache TTL never does). The bound is generous for a loaded
// race-detector run; TestScaleOut in cmd/toolgate holds real processes to
// one second.
func TestChangesReachOtherReplicas(t *testing.T) {
	a, b := twoReplicas(t)
	up := newUpstream(t, nil)
	a.publishTool(map[string]any{"name": "ping", "description": "Ping.", "method": "GET", "url": up.URL + "/ping",
		"input_schema": map[string]any{"type": "object"}})
	agentID, key := a.agentWithKey("bot", "ping")
	onB := heard(b)

	// Both replicas have the key and the agent's listing cached.
	a.must(200, "GET", "/v1/tools", key, nil)
	b.must(200, "GET", "/v1/tools", key, nil)

	// A second tool, activated through a: b lists it as soon as it hears.
	a.publishTool(map[string]any{"name": "pong", "description": "Pong.", "method": "GET", "url": up.URL + "/pong",
		"input_schema": map[string]any{"type": "object"}})
	a.must(200, "PATCH", "/v1/admin/agents/"+agentID, a.admin, map[string]any{"tools": []map[string]any{{"name": "ping"}, {"name": "pong"}}})
	took := waitChange(t, onB, changes.Agents, 10*time.Second, func() bool {
		return len(b.must(200, "GET", "/v1/tools", key, nil).at("tools").([]any)) == 2
	})
	t.Logf("agent change reached the other replica in %s", took)

	// The key, revoked through a, is refused by b.
	keys := a.must(200, "GET", "/v1/admin/keys", a.admin, nil)
	var keyID string
	for _, k := range keys.at("items").([]any) {
		if m := k.(map[string]any); m["agent_id"] == agentID {
			keyID = m["id"].(string)
		}
	}
	a.must(204, "DELETE", "/v1/admin/keys/"+keyID, a.admin, nil)
	took = waitChange(t, onB, changes.Keys, 10*time.Second, func() bool {
		return b.do("GET", "/v1/tools", key, nil).status == 401
	})
	t.Logf("key revocation reached the other replica in %s", took)
}

// TestRetellSignatureOnceAcrossReplicas: a signed Retell request accepted
// by one replica is refused by the other (the replay guard is in the
// store), so a request replayed to another replica never runs twice.
func TestRetellSignatureOnceAcrossReplicas(t *testing.T) {
	a, b := twoReplicas(t)
	v := newVoiceEnv(t, a)
	body := fixture(t, "retell_custom_function.json")
	sig := map[string]string{"X-Retell-Signature": signRetell(body, retellAPIKey, time.Now())}
	path := "/v1/adapters/retell/" + v.agentID
	if r := a.post(path, body, sig); r.status != 200 {
		t.Fatalf("first delivery: %d %s", r.status, r.raw)
	}
	hits := v.up.hits.Load()
	if r := b.post(path, body, sig); r.status != 401 {
		t.Errorf("the same signed request to the other replica: %d %s, want 401", r.status, r.raw)
	}
	if v.up.hits.Load() != hits {
		t.Error("the replayed request reached the upstream")
	}
}

// TestIdempotencyKeyAcrossReplicas: one Idempotency-Key sent to two
// replicas at once runs the tool once. The call that claimed the key is
// held at the upstream until the other has answered; that one answers 409
// idempotency_in_progress, and once the first is done, the same key
// answers its run everywhere.
func TestIdempotencyKeyAcrossReplicas(t *testing.T) {
	a, b := twoReplicas(t)
	entered, proceed := make(chan struct{}), make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) bool {
		entered <- struct{}{}
		<-proceed
		return false
	})
	a.publishTool(map[string]any{"name": "book", "description": "Book.", "method": "POST", "url": up.URL + "/book",
		"input_schema": map[string]any{"type": "object"}})
	_, key := a.agentWithKey("bot", "book")
	call := func(e *env, idem string) *response {
		return e.doWithHeader("POST", "/v1/tools/book/call", key, map[string]any{"arguments": map[string]any{}}, "Idempotency-Key", idem)
	}
	const rounds = 5
	for i := range rounds {
		idem := fmt.Sprintf("booking-%d", i)
		answers := make(chan *response, 2)
		for _, e := range []*env{a, b} {
			go func() { answers <- call(e, idem) }()
		}
		<-entered // one call holds the key and reached the upstream
		loser := <-answers
		if loser.status != 409 || loser.str("error.type") != "idempotency_in_progress" {
			t.Errorf("round %d: the concurrent call answered %d %s, want 409 idempotency_in_progress", i, loser.status, loser.raw)
		}
		proceed <- struct{}{}
		winner := <-answers
		if winner.status != 200 {
			t.Fatalf("round %d: the call holding the key: %d %s", i, winner.status, winner.raw)
		}
		for _, e := range []*env{a, b} {
			if again := call(e, idem); again.status != 200 || again.str("run_id") != winner.str("run_id") {
				t.Errorf("round %d: the key sent again answered %d run %s, want the first run %s", i, again.status, again.str("run_id"), winner.str("run_id"))
			}
		}
	}
	if got := up.hits.Load(); got != rounds {
		t.Errorf("upstream received %d requests for %d keys sent to two replicas at once, want %d", got, rounds, rounds)
	}
}
