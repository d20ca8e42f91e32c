package copies_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/sign"
	"paysuite/services/notifier/internal/alerts"
	"paysuite/services/notifier/internal/copies"
	"paysuite/services/notifier/internal/store"
)

// secret is the suite's signing secret in these tests; previousSecret the
// one it replaces during a rotation.
var (
	secret         = []byte("copy-secret")
	previousSecret = []byte("previous-copy-secret")
)

type chat struct{}

func (chat) Send(context.Context, string) error { return nil }

func setup(t *testing.T) (*copies.Handler, *gorm.DB) {
	gdb := dbtest.Open(t, store.Migrations())
	alerter := &alerts.Alerter{DB: gdb, Sender: chat{}, MinInterval: time.Hour, Tick: time.Second, Log: zerolog.Nop()}
	return copies.NewHandler(contract.DefaultNames(), store.New(gdb), [][]byte{secret, previousSecret}, alerter, func() {}, zerolog.Nop()), gdb
}

func copyOf(t *testing.T, key string, fields map[string]any) broker.Delivery {
	t.Helper()
	return signedCopy(t, secret, key, fields)
}

func signedCopy(t *testing.T, secret []byte, key string, fields map[string]any) broker.Delivery {
	t.Helper()
	body, err := sign.Seal(secret, fields, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return broker.Delivery{RoutingKey: key, Body: body}
}

func handle(t *testing.T, h *copies.Handler, d broker.Delivery) {
	t.Helper()
	if err := h.Handle(t.Context(), d); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, gdb *gorm.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := gdb.Raw(query, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestReturnBeforeRequest(t *testing.T) {
	h, gdb := setup(t)
	ret := copyOf(t, "pay.order.return", map[string]any{"request_id": "o-1", "event": "created", "status": 1})
	handle(t, h, ret)
	if n := count(t, gdb, "SELECT COUNT(*) FROM deliveries"); n != 0 {
		t.Fatalf("%d deliveries before the request is known", n)
	}
	handle(t, h, copyOf(t, "pay.order", map[string]any{"request_id": "o-1", "callback_url": "https://shop.example/hook"}))
	var d struct {
		URL  string `gorm:"column:url"`
		Body []byte `gorm:"column:body"`
	}
	if err := gdb.Raw("SELECT url, body FROM deliveries WHERE request_id = 'o-1'").Scan(&d).Error; err != nil {
		t.Fatal(err)
	}
	if d.URL != "https://shop.example/hook" || string(d.Body) != string(ret.Body) {
		t.Fatalf("delivery %s %s", d.URL, d.Body)
	}
	if n := count(t, gdb, "SELECT COUNT(*) FROM orphan_returns"); n != 0 {
		t.Fatalf("%d returns still waiting", n)
	}
	handle(t, h, ret) // redelivered copy
	if n := count(t, gdb, "SELECT COUNT(*) FROM deliveries"); n != 1 {
		t.Fatalf("%d deliveries after a redelivered copy", n)
	}
}

func TestOnlySignedCopiesCount(t *testing.T) {
	h, gdb := setup(t)
	forged := copyOf(t, "pay.topup", map[string]any{"request_id": "t-1", "callback_url": "https://evil.example/"})
	forged.Body = []byte(`{"request_id":"t-1","callback_url":"https://evil.example/","sign":"00","timestamp":1}`)
	handle(t, h, forged)
	handle(t, h, copyOf(t, "pay.topup", map[string]any{"request_id": "t-2"})) // no callback
	handle(t, h, broker.Delivery{RoutingKey: "pay.topup", Body: []byte("not json")})
	if n := count(t, gdb, "SELECT COUNT(*) FROM requests"); n != 0 {
		t.Fatalf("%d requests recorded", n)
	}
	badReturn := copyOf(t, "pay.topup.return", map[string]any{"request_id": "t-2", "event": "registered", "status": 1})
	badReturn.Body = []byte(`{"request_id":"t-2","event":"registered","status":1,"sign":"00"}`)
	handle(t, h, badReturn)
	handle(t, h, copyOf(t, "pay.topup.return", map[string]any{"request_id": "t-2", "event": "registered", "status": 1}))
	if n := count(t, gdb, "SELECT COUNT(*) FROM orphan_returns"); n != 1 {
		t.Fatalf("%d waiting returns, want the signed one only", n)
	}
	if _, err := store.New(gdb).DeleteOrphans(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	if n := count(t, gdb, "SELECT COUNT(*) FROM orphan_returns"); n != 0 {
		t.Fatalf("%d waiting returns after their time", n)
	}
}

// TestRequestAndReturnRace handles each request and its return at the same
// time: whichever commits first, the delivery exists.
func TestRequestAndReturnRace(t *testing.T) {
	h, gdb := setup(t)
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		id := fmt.Sprintf("race-%d", i)
		req := copyOf(t, "pay.withdraw", map[string]any{"request_id": id, "callback_url": "https://x.example/" + id})
		ret := copyOf(t, "pay.withdraw.return", map[string]any{"request_id": id, "event": "submitted", "status": 2,
			"tx_hash": "0xabc"})
		for _, d := range []broker.Delivery{req, ret} {
			wg.Go(func() {
				// A deadlock victim is requeued by the broker; here, retried.
				for {
					err := h.Handle(context.Background(), d)
					if err == nil || !store.Retryable(err) {
						errs <- err
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := count(t, gdb, "SELECT COUNT(*) FROM deliveries"); got != n {
		t.Fatalf("%d deliveries, want %d", got, n)
	}
}

func TestFailedPayoutAlertsOnce(t *testing.T) {
	h, gdb := setup(t)
	for i := range 3 {
		ret := copyOf(t, "pay.withdraw.return", map[string]any{"request_id": fmt.Sprintf("w-%d", i), "event": "withdraw",
			"status": 0, "error": "insufficient_balance", "chain": "ETH", "symbol": "USDT"})
		handle(t, h, ret)
		handle(t, h, ret) // redelivered: not counted again
	}
	// Success and pending returns are no failures.
	handle(t, h, copyOf(t, "pay.withdraw.return", map[string]any{"request_id": "w-ok", "event": "withdraw", "status": 1}))
	handle(t, h, copyOf(t, "pay.pay.return", map[string]any{"request_id": "p-1", "event": "submitted", "status": 2}))
	if n := count(t, gdb, "SELECT COUNT(*) FROM telegram_queue"); n != 1 {
		t.Fatalf("%d chat messages queued, want 1", n)
	}
	if n := count(t, gdb, "SELECT suppressed FROM alert_state WHERE kind = 'payout_failed'"); n != 2 {
		t.Fatalf("%d alerts held back, want 2", n)
	}
	handle(t, h, copyOf(t, "pay.pay.return", map[string]any{"request_id": "p-2", "event": "pay", "status": 0, "error": "reverted"}))
	if n := count(t, gdb, "SELECT COUNT(*) FROM telegram_queue"); n != 2 {
		t.Fatalf("%d chat messages queued, want 2 (another key)", n)
	}
}

// TestBatchAsOneByOne records, in one batch, what the tests above record one
// copy at a time: a return before its request and the request, a request and
// then its return, a forged request, garbage and a failed payout. The outcome
// must be the same, and a redelivered batch must change nothing.
func TestBatchAsOneByOne(t *testing.T) {
	h, gdb := setup(t)
	forged := copyOf(t, "pay.topup", map[string]any{"request_id": "t-9", "callback_url": "https://evil.example/"})
	forged.Body = []byte(`{"request_id":"t-9","callback_url":"https://evil.example/","sign":"00","timestamp":1}`)
	batch := []broker.Delivery{
		copyOf(t, "pay.order.return", map[string]any{"request_id": "o-1", "event": "created", "status": 1}),
		copyOf(t, "pay.order", map[string]any{"request_id": "o-1", "callback_url": "https://shop.example/a"}),
		copyOf(t, "pay.order", map[string]any{"request_id": "o-2", "callback_url": "https://shop.example/b"}),
		copyOf(t, "pay.order.return", map[string]any{"request_id": "o-2", "event": "created", "status": 1}),
		forged,
		{RoutingKey: "pay.topup", Body: []byte("not json")},
		copyOf(t, "pay.withdraw", map[string]any{"request_id": "w-1", "callback_url": "https://shop.example/w"}),
		copyOf(t, "pay.withdraw.return", map[string]any{"request_id": "w-1", "event": "withdraw", "status": 0,
			"error": "insufficient_funds", "message": "hot wallet empty"}),
	}
	for range 2 {
		if err := h.HandleBatch(t.Context(), batch); err != nil {
			t.Fatal(err)
		}
		for query, want := range map[string]int64{
			"SELECT COUNT(*) FROM deliveries":                                      3,
			"SELECT COUNT(*) FROM deliveries WHERE url = 'https://shop.example/a'": 1,
			"SELECT COUNT(*) FROM deliveries WHERE url = 'https://shop.example/b'": 1,
			"SELECT COUNT(*) FROM requests":                                        3,
			"SELECT COUNT(*) FROM orphan_returns":                                  0,
			"SELECT COUNT(*) FROM telegram_queue":                                  1,
		} {
			if n := count(t, gdb, query); n != want {
				t.Errorf("%s = %d, want %d", query, n, want)
			}
		}
	}
}

func handleBatch(t *testing.T, h *copies.Handler, batch ...broker.Delivery) {
	t.Helper()
	if err := h.HandleBatch(t.Context(), batch); err != nil {
		t.Fatal(err)
	}
}

func expectCounts(t *testing.T, gdb *gorm.DB, want map[string]int64) {
	t.Helper()
	for query, n := range want {
		if got := count(t, gdb, query); got != n {
			t.Errorf("%s = %d, want %d", query, got, n)
		}
	}
}

func orderRequest(t *testing.T, id, callback string) broker.Delivery {
	return copyOf(t, "pay.order", map[string]any{"request_id": id, "callback_url": callback})
}

func orderReturn(t *testing.T, id, event string) broker.Delivery {
	return copyOf(t, "pay.order.return", map[string]any{"request_id": id, "event": event, "status": 1})
}

// TestBatchReturnsAcrossBatches records returns in one batch and their
// requests in the next, and the other way round: the returns wait, then
// become deliveries; redelivering both batches changes nothing.
func TestBatchReturnsAcrossBatches(t *testing.T) {
	h, gdb := setup(t)
	first := []broker.Delivery{
		orderReturn(t, "a", "created"), orderReturn(t, "b", "created"), orderReturn(t, "b", "paid"),
		orderRequest(t, "c", "https://shop.example/c"),
	}
	second := []broker.Delivery{
		orderRequest(t, "b", "https://shop.example/b"), orderRequest(t, "a", "https://shop.example/a"),
		orderReturn(t, "c", "created"),
	}
	handleBatch(t, h, first...)
	expectCounts(t, gdb, map[string]int64{
		"SELECT COUNT(*) FROM deliveries":     0,
		"SELECT COUNT(*) FROM orphan_returns": 3,
	})
	for range 2 {
		handleBatch(t, h, second...)
		handleBatch(t, h, first...)
		expectCounts(t, gdb, map[string]int64{
			"SELECT COUNT(*) FROM deliveries": 4,
			"SELECT COUNT(*) FROM deliveries WHERE url = CONCAT('https://shop.example/', request_id)": 4,
			"SELECT COUNT(*) FROM deliveries WHERE request_id = 'b'":                                  2,
			"SELECT COUNT(*) FROM orphan_returns":                                                     0,
			"SELECT COUNT(*) FROM requests":                                                           3,
		})
	}
}

// TestBatchDuplicates records a batch that holds copies twice: the first
// request copy wins, and each return makes one delivery and at most one alert.
func TestBatchDuplicates(t *testing.T) {
	h, gdb := setup(t)
	failed := copyOf(t, "pay.withdraw.return", map[string]any{"request_id": "w-1", "event": "withdraw", "status": 0,
		"error": "reverted"})
	failedEarly := copyOf(t, "pay.withdraw.return", map[string]any{"request_id": "w-2", "event": "withdraw", "status": 0,
		"error": "reverted"})
	batch := []broker.Delivery{
		orderReturn(t, "a", "created"),
		orderRequest(t, "a", "https://shop.example/first"),
		orderRequest(t, "a", "https://shop.example/second"),
		orderReturn(t, "a", "created"),
		failedEarly, failedEarly,
		copyOf(t, "pay.withdraw", map[string]any{"request_id": "w-1", "callback_url": "https://shop.example/w"}),
		failed, failed,
		copyOf(t, "pay.withdraw", map[string]any{"request_id": "w-2", "callback_url": "https://shop.example/w"}),
	}
	for range 2 {
		handleBatch(t, h, batch...)
		expectCounts(t, gdb, map[string]int64{
			"SELECT COUNT(*) FROM deliveries": 3,
			"SELECT COUNT(*) FROM deliveries WHERE request_id = 'a' AND url = 'https://shop.example/first'": 1,
			"SELECT COUNT(*) FROM requests":                                   3,
			"SELECT COUNT(*) FROM orphan_returns":                             0,
			"SELECT COUNT(*) FROM telegram_queue":                             1,
			"SELECT suppressed FROM alert_state WHERE kind = 'payout_failed'": 1,
		})
	}
}

// TestFailedPayoutWaitingThenRedelivered raises the alert of a failed payout
// whose return came before its request once, however its copy comes again.
func TestFailedPayoutWaitingThenRedelivered(t *testing.T) {
	h, gdb := setup(t)
	failed := copyOf(t, "pay.pay.return", map[string]any{"request_id": "p-1", "event": "pay", "status": 0, "error": "reverted"})
	handleBatch(t, h, failed)
	handleBatch(t, h, copyOf(t, "pay.pay", map[string]any{"request_id": "p-1", "callback_url": "https://shop.example/p"}), failed)
	handleBatch(t, h, failed)
	expectCounts(t, gdb, map[string]int64{
		"SELECT COUNT(*) FROM deliveries":                       1,
		"SELECT COUNT(*) FROM orphan_returns":                   0,
		"SELECT COUNT(*) FROM telegram_queue":                   1,
		"SELECT COUNT(*) FROM alert_state WHERE suppressed = 0": 1,
	})
}

// TestBatchGoneEndpoint starts the deliveries to an endpoint that answered
// 410 Gone as gone, whether the return came after or before its request.
func TestBatchGoneEndpoint(t *testing.T) {
	h, gdb := setup(t)
	const gone = "https://gone.example/hook"
	if err := gdb.Exec("INSERT INTO gone_endpoints (url_hash, url) VALUES (?, ?)", store.URLHash(gone), gone).Error; err != nil {
		t.Fatal(err)
	}
	handleBatch(t, h, orderReturn(t, "late", "created"))
	handleBatch(t, h, orderRequest(t, "late", gone), orderRequest(t, "now", gone), orderReturn(t, "now", "created"),
		orderRequest(t, "ok", "https://ok.example/hook"), orderReturn(t, "ok", "created"))
	expectCounts(t, gdb, map[string]int64{
		"SELECT COUNT(*) FROM deliveries WHERE state = 'gone'":                                        2,
		"SELECT COUNT(*) FROM deliveries WHERE state = 'pending' AND url = 'https://ok.example/hook'": 1,
	})
}

// TestConcurrentBatches handles overlapping batches on several goroutines at
// once, each request and its return in different batches and every copy
// twice: every return becomes exactly one delivery and none is left waiting.
func TestConcurrentBatches(t *testing.T) {
	h, gdb := setup(t)
	const n, workers = 120, 6
	var all []broker.Delivery
	for i := range n {
		id := fmt.Sprintf("c-%d", i)
		all = append(all, orderRequest(t, id, "https://x.example/"+id), orderReturn(t, id, "created"))
	}
	// Worker w handles the copies i with i%workers == w, twice, in small
	// batches: a request and its return (i and i+1) always go to different
	// workers, which run at the same time.
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			var mine []broker.Delivery
			for i := w; i < len(all); i += workers {
				mine = append(mine, all[i])
			}
			mine = append(mine, mine...)
			for len(mine) > 0 {
				k := min(7, len(mine))
				if err := h.HandleBatch(context.Background(), mine[:k]); err != nil {
					errs <- err
					return
				}
				mine = mine[k:]
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	expectCounts(t, gdb, map[string]int64{
		"SELECT COUNT(*) FROM deliveries":     n,
		"SELECT COUNT(*) FROM orphan_returns": 0,
	})
}
