package webhook_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"gorm.io/gorm"

	"paysuite/pkg/db"
	"paysuite/pkg/db/dbtest"
	"paysuite/services/notifier/internal/store"
	"paysuite/services/notifier/internal/webhook"
)

// testSecret is the webhook secret of these tests, written as Standard
// Webhooks writes secrets.
const testSecret = "whsec_d2ViaG9vay10ZXN0LWtleS0zMi1ieXRlcy1sb25nISE="

// receiver is a webhook endpoint that verifies every webhook with the
// official Standard Webhooks library, holding testSecret, and answers with
// what respond says.
type receiver struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	calls   []string // webhook-id of each request, in order
	bodies  map[string]string
	respond func(n int) int // n counts calls, from 1
	badSigs atomic.Int64
}

func newReceiver(t *testing.T, respond func(n int) int) *receiver {
	r := &receiver{t: t, bodies: map[string]string{}, respond: respond}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	id, ts := req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp")
	if wh, err := standardwebhooks.NewWebhook(testSecret); err != nil || wh.Verify(body, req.Header) != nil {
		r.badSigs.Add(1)
	}
	if sec, err := strconv.ParseInt(ts, 10, 64); err != nil || time.Since(time.Unix(sec, 0)).Abs() > time.Minute {
		r.badSigs.Add(1)
	}
	r.mu.Lock()
	r.calls = append(r.calls, id)
	r.bodies[id] = string(body)
	n := len(r.calls)
	r.mu.Unlock()
	w.WriteHeader(r.respond(n))
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

func newDeliverer(t *testing.T, gdb *gorm.DB, p webhook.Policy, schedule []time.Duration, timeout time.Duration, workers int) *webhook.Deliverer {
	key, err := webhook.ParseSecret(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	return &webhook.Deliverer{Store: store.New(gdb), Client: webhook.NewClient(p, timeout), Secrets: [][]byte{key},
		Schedule: schedule, Timeout: timeout, Workers: workers, HostLimit: 2, PollInterval: 20 * time.Millisecond,
		Owner: fmt.Sprintf("test-%p", gdb), Log: zerolog.New(zerolog.NewTestWriter(t))}
}

func run(t *testing.T, d *webhook.Deliverer) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); _ = d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// addReturn records the delivery of a return of requestID to callback.
func addReturn(t *testing.T, gdb *gorm.DB, requestID, callback string) {
	t.Helper()
	body := fmt.Sprintf(`{"request_id":%q,"event":"created","status":1}`, requestID)
	_, err := store.New(gdb).AddDeliveries(t.Context(), []store.Webhook{{Flow: "order", RequestID: requestID,
		MessageID: requestID + ":created", Event: "created", Status: 1, URL: callback, Body: []byte(body)}})
	if err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func delivery(t *testing.T, gdb *gorm.DB, requestID string) store.Delivery {
	t.Helper()
	list, err := store.New(gdb).List(t.Context(), store.Filter{RequestID: requestID})
	if err != nil || len(list) != 1 {
		t.Fatalf("deliveries of %s: %v %v", requestID, list, err)
	}
	return list[0]
}

func TestRetriesThenDelivered(t *testing.T) {
	gdb := dbtest.Open(t, store.Migrations())
	rcv := newReceiver(t, func(n int) int {
		if n <= 3 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	d := newDeliverer(t, gdb, webhook.Policy{AllowLoopback: true}, []time.Duration{50 * time.Millisecond, 100 * time.Millisecond,
		150 * time.Millisecond, time.Hour}, 2*time.Second, 4)
	run(t, d)
	addReturn(t, gdb, "r-retry", rcv.srv.URL+"/hook")
	waitFor(t, "delivered", 10*time.Second, func() bool { return delivery(t, gdb, "r-retry").State == store.StateDelivered })
	got := delivery(t, gdb, "r-retry")
	if got.Attempts != 4 || rcv.count() != 4 || *got.LastStatus != 200 {
		t.Fatalf("attempts %d, calls %d, last %v", got.Attempts, rcv.count(), got.LastStatus)
	}
	atts, err := store.New(gdb).Attempts(t.Context(), got.ID)
	if err != nil || len(atts) != 4 {
		t.Fatalf("%d attempts recorded (%v)", len(atts), err)
	}
	for i, a := range atts {
		want := 503
		if i == 3 {
			want = 200
		}
		if a.Attempt != i+1 || a.StatusCode == nil || *a.StatusCode != want {
			t.Fatalf("attempt %d: %+v", i+1, a)
		}
	}
	if rcv.badSigs.Load() != 0 {
		t.Fatal("a webhook signature did not verify")
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if want := `{"request_id":"r-retry","event":"created","status":1}`; rcv.bodies[got.WebhookID] != want {
		t.Fatalf("body %q, want the return exactly: %q", rcv.bodies[got.WebhookID], want)
	}
	for _, id := range rcv.calls {
		if id != got.WebhookID {
			t.Fatalf("webhook-id changed between attempts: %s vs %s", id, got.WebhookID)
		}
	}
}

func TestGoneStopsEndpointAndRedeliver(t *testing.T) {
	gdb := dbtest.Open(t, store.Migrations())
	var gone atomic.Bool
	gone.Store(true)
	rcv := newReceiver(t, func(int) int {
		if gone.Load() {
			return http.StatusGone
		}
		return http.StatusNoContent
	})
	st := store.New(gdb)
	// Two deliveries waiting for one endpoint, before the deliverer runs.
	addReturn(t, gdb, "g-1", rcv.srv.URL)
	addReturn(t, gdb, "g-2", rcv.srv.URL)
	d := newDeliverer(t, gdb, webhook.Policy{AllowLoopback: true}, []time.Duration{20 * time.Millisecond}, 2*time.Second, 1)
	run(t, d)
	waitFor(t, "both gone", 10*time.Second, func() bool {
		return delivery(t, gdb, "g-1").State == store.StateGone && delivery(t, gdb, "g-2").State == store.StateGone
	})
	if rcv.count() != 1 {
		t.Fatalf("%d calls after 410, want 1", rcv.count())
	}
	addReturn(t, gdb, "g-3", rcv.srv.URL)
	if s := delivery(t, gdb, "g-3").State; s != store.StateGone {
		t.Fatalf("new delivery to a gone endpoint is %s", s)
	}
	failed, err := st.List(t.Context(), store.Filter{Failed: true})
	if err != nil || len(failed) != 3 {
		t.Fatalf("failed list: %d %v", len(failed), err)
	}
	gone.Store(false)
	if ok, err := st.Redeliver(t.Context(), delivery(t, gdb, "g-2").ID); err != nil || !ok {
		t.Fatalf("redeliver: %v %v", ok, err)
	}
	d.Kick()
	waitFor(t, "redelivered", 10*time.Second, func() bool { return delivery(t, gdb, "g-2").State == store.StateDelivered })
	if s := delivery(t, gdb, "g-1").State; s != store.StateGone {
		t.Fatalf("g-1 is %s; only the redelivered one goes again", s)
	}
	if ok, _ := st.Redeliver(t.Context(), delivery(t, gdb, "g-2").ID); ok {
		t.Fatal("a delivered webhook was redelivered")
	}
}

func TestRetriesExhaustedFail(t *testing.T) {
	gdb := dbtest.Open(t, store.Migrations())
	rcv := newReceiver(t, func(int) int { return http.StatusInternalServerError })
	d := newDeliverer(t, gdb, webhook.Policy{AllowLoopback: true}, []time.Duration{10 * time.Millisecond, 10 * time.Millisecond},
		2*time.Second, 2)
	run(t, d)
	addReturn(t, gdb, "x-1", rcv.srv.URL)
	waitFor(t, "failed", 10*time.Second, func() bool { return delivery(t, gdb, "x-1").State == store.StateFailed })
	if got := delivery(t, gdb, "x-1"); got.Attempts != 3 || rcv.count() != 3 {
		t.Fatalf("attempts %d calls %d, want 3 (first + 2 retries)", got.Attempts, rcv.count())
	}
}

func TestSlowEndpointDoesNotDelayOthers(t *testing.T) {
	gdb := dbtest.Open(t, store.Migrations())
	release := make(chan struct{})
	var hanging atomic.Int64
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hanging.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	healthy := newReceiver(t, func(int) int { return http.StatusOK })
	d := newDeliverer(t, gdb, webhook.Policy{AllowLoopback: true}, []time.Duration{time.Hour}, time.Minute, 4)
	run(t, d)
	t.Cleanup(func() { close(release) }) // before the deliverer waits for its attempts
	for i := range 6 {
		addReturn(t, gdb, fmt.Sprintf("slow-%d", i), slow.URL)
	}
	waitFor(t, "slow endpoint busy", 10*time.Second, func() bool { return hanging.Load() >= 2 })
	addReturn(t, gdb, "fast", healthy.srv.URL)
	d.Kick()
	waitFor(t, "healthy endpoint served", 5*time.Second, func() bool { return delivery(t, gdb, "fast").State == store.StateDelivered })
	if n := hanging.Load(); n > 2 {
		t.Fatalf("%d attempts in flight to one host, limit 2", n)
	}
}

// TestBacklogForOneHost gives one endpoint far more deliveries than its
// concurrency limit: the dispatcher must work the backlog off at that limit,
// never above it, and never spin on the host's due rows in between.
func TestBacklogForOneHost(t *testing.T) {
	gdb := dbtest.Open(t, store.Migrations())
	var inFlight, peak, served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(5 * time.Millisecond)
		inFlight.Add(-1)
		served.Add(1)
	}))
	t.Cleanup(srv.Close)
	const n = 60
	for i := range n {
		addReturn(t, gdb, fmt.Sprintf("backlog-%d", i), srv.URL)
	}
	d := newDeliverer(t, gdb, webhook.Policy{AllowLoopback: true}, []time.Duration{time.Hour}, time.Minute, 8)
	run(t, d)
	waitFor(t, "the backlog delivered", 30*time.Second, func() bool { return served.Load() >= n })
	waitFor(t, "every delivery recorded", 10*time.Second, func() bool {
		list, err := store.New(gdb).List(t.Context(), store.Filter{Limit: 2 * n})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range list {
			if d.State != store.StateDelivered {
				return false
			}
		}
		return len(list) == n
	})
	if served.Load() != n {
		t.Fatalf("endpoint called %d times for %d deliveries", served.Load(), n)
	}
	if p := peak.Load(); p > 2 {
		t.Fatalf("%d attempts in flight to one host, limit 2", p)
	}
}

func TestDestinationRefusedAtDial(t *testing.T) {
	gdb := dbtest.Open(t, store.Migrations())
	rcv := newReceiver(t, func(int) int { return http.StatusOK })
	d := newDeliverer(t, gdb, webhook.Policy{}, []time.Duration{time.Hour}, 2*time.Second, 1)
	run(t, d)
	// A host name, not an address: the check must apply to what it resolves to.
	addReturn(t, gdb, "ssrf", "http://localhost:"+rcv.srv.URL[len("http://127.0.0.1:"):]+"/")
	waitFor(t, "refused", 10*time.Second, func() bool { return delivery(t, gdb, "ssrf").State == store.StateFailed })
	if rcv.count() != 0 {
		t.Fatal("a loopback endpoint was called")
	}
	if got := delivery(t, gdb, "ssrf"); got.LastError == nil {
		t.Fatal("no error recorded")
	}
}

func TestPolicy(t *testing.T) {
	for _, tc := range []struct {
		ip      string
		p       webhook.Policy
		allowed bool
	}{
		{"93.184.216.34", webhook.Policy{}, true},
		{"2606:2800:220:1::1", webhook.Policy{}, true},
		{"127.0.0.1", webhook.Policy{}, false},
		{"127.0.0.1", webhook.Policy{AllowLoopback: true}, true},
		{"::1", webhook.Policy{}, false},
		{"::ffff:127.0.0.1", webhook.Policy{}, false},
		{"10.1.2.3", webhook.Policy{AllowLoopback: true}, false},
		{"172.16.0.1", webhook.Policy{}, false},
		{"192.168.1.1", webhook.Policy{}, false},
		{"100.64.0.1", webhook.Policy{}, false},
		{"169.254.169.254", webhook.Policy{}, false},
		{"fe80::1", webhook.Policy{}, false},
		{"fd00::1", webhook.Policy{}, false},
		{"0.0.0.0", webhook.Policy{}, false},
		{"224.0.0.1", webhook.Policy{}, false},
		{"10.1.2.3", webhook.Policy{AllowPrivate: true}, true},
	} {
		err := tc.p.Check(mustAddr(t, tc.ip))
		if (err == nil) != tc.allowed {
			t.Errorf("%s with %+v: %v", tc.ip, tc.p, err)
		}
	}
}

// TestReplicasSendEachOnce runs two deliverers on one schema: each webhook is
// sent exactly once.
func TestReplicasSendEachOnce(t *testing.T) {
	cfg := dbtest.Config(t)
	var dbs []*gorm.DB
	for range 2 {
		gdb, err := db.Open(t.Context(), cfg, store.Migrations(), zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if s, err := gdb.DB(); err == nil {
				_ = s.Close()
			}
		})
		dbs = append(dbs, gdb)
	}
	rcv := newReceiver(t, func(int) int { return http.StatusOK })
	const n = 60
	for i := range n {
		addReturn(t, dbs[0], fmt.Sprintf("rep-%d", i), rcv.srv.URL)
	}
	for _, gdb := range dbs {
		d := newDeliverer(t, gdb, webhook.Policy{AllowLoopback: true}, []time.Duration{time.Hour}, 2*time.Second, 4)
		d.HostLimit = 4
		run(t, d)
	}
	waitFor(t, "all delivered", 20*time.Second, func() bool {
		var pending int64
		if err := dbs[0].Raw("SELECT COUNT(*) FROM deliveries WHERE state <> 'delivered'").Scan(&pending).Error; err != nil {
			t.Fatal(err)
		}
		return pending == 0
	})
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(rcv.calls) != n || len(rcv.bodies) != n {
		t.Fatalf("%d calls for %d distinct webhooks, want %d each", len(rcv.calls), len(rcv.bodies), n)
	}
}

func mustAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestHostsTakeTurns gives two endpoints a backlog each, with workers for only
// one host at a time: the second endpoint must be served while the first
// still has deliveries waiting, not only once it is drained.
func TestHostsTakeTurns(t *testing.T) {
	gdb := dbtest.Open(t, store.Migrations())
	var first, second atomic.Int64
	serve := func(n *atomic.Int64) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			time.Sleep(10 * time.Millisecond)
			n.Add(1)
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	a, b := serve(&first), serve(&second)
	const n = 40
	for i := range n {
		addReturn(t, gdb, fmt.Sprintf("a-%d", i), a.URL)
	}
	for i := range n {
		addReturn(t, gdb, fmt.Sprintf("b-%d", i), b.URL)
	}
	d := newDeliverer(t, gdb, webhook.Policy{AllowLoopback: true}, []time.Duration{time.Hour}, time.Minute, 2)
	run(t, d)
	waitFor(t, "both endpoints served", 30*time.Second, func() bool { return first.Load() >= 5 && second.Load() >= 5 })
	if first.Load() == n || second.Load() == n {
		t.Fatalf("one endpoint was drained before the other was served: %d and %d of %d", first.Load(), second.Load(), n)
	}
	waitFor(t, "every delivery made", 30*time.Second, func() bool { return first.Load() == n && second.Load() == n })
}
