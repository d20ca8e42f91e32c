package inbox_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
	"paysuite/pkg/sign"
	"paysuite/services/notifier/internal/inbox"
	"paysuite/services/notifier/internal/store"
)

// returnSecret signs the returns these tests carry, as a service would; the
// notifier delivers them as they are and never reads the signature.
var returnSecret = []byte("inbox-test-sign-secret")

func setup(t *testing.T) (*inbox.Handler, *gorm.DB) {
	gdb := dbtest.Open(t, store.Migrations())
	return &inbox.Handler{Store: store.New(gdb), OnDeliveries: func() {}, Log: zerolog.Nop()}, gdb
}

// signedReturn is the body of a return with fields, signed.
func signedReturn(t *testing.T, fields map[string]any) string {
	t.Helper()
	body, err := sign.Seal(returnSecret, fields, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// hookOf is the Webhook message of the return of requestID with event and
// status, as the order flow writes it for callback.
func hookOf(t *testing.T, requestID, event string, status int, callback string) events.Webhook {
	t.Helper()
	return events.Webhook{Flow: "order", RequestID: requestID, CallbackURL: callback, MessageID: requestID + ":" + event,
		Body: signedReturn(t, map[string]any{"request_id": requestID, "event": event, "status": status})}
}

func count(t *testing.T, gdb *gorm.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := gdb.Raw(query, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func expectCounts(t *testing.T, gdb *gorm.DB, want map[string]int64) {
	t.Helper()
	for query, n := range want {
		if got := count(t, gdb, query); got != n {
			t.Errorf("%s = %d, want %d", query, got, n)
		}
	}
}

// TestWebhookBecomesDelivery records a Webhook message as the delivery of its
// body to its URL under its message_id, once however often it comes.
func TestWebhookBecomesDelivery(t *testing.T) {
	h, gdb := setup(t)
	woken := 0
	h.OnDeliveries = func() { woken++ }
	w := hookOf(t, "o-1", "created", 1, "https://shop.example/hook")
	for range 3 { // the message, then two redeliveries
		if err := h.Handle(t.Context(), servicetest.Delivery(t, events.WebhookKey, w)); err != nil {
			t.Fatal(err)
		}
	}
	var d struct {
		WebhookID string `gorm:"column:webhook_id"`
		Flow      string `gorm:"column:flow"`
		RequestID string `gorm:"column:request_id"`
		Event     string `gorm:"column:event"`
		Status    int    `gorm:"column:status"`
		URL       string `gorm:"column:url"`
		Body      []byte `gorm:"column:body"`
		State     string `gorm:"column:state"`
	}
	if err := gdb.Raw("SELECT webhook_id, flow, request_id, event, status, url, body, state FROM deliveries").Scan(&d).Error; err != nil {
		t.Fatal(err)
	}
	if d.WebhookID != "o-1:created" || d.Flow != "order" || d.RequestID != "o-1" || d.Event != "created" || d.Status != 1 ||
		d.URL != w.CallbackURL || string(d.Body) != w.Body || d.State != store.StatePending {
		t.Fatalf("delivery %+v", d)
	}
	if n := count(t, gdb, "SELECT COUNT(*) FROM deliveries"); n != 1 || woken != 1 {
		t.Fatalf("%d deliveries, deliverer woken %d times; want 1 and 1", n, woken)
	}
}

// TestDeliveriesAreKeyedExactly tells returns apart as receivers do: message
// ids that differ only in case, the same message_id in two flows, and one
// return to two URLs are distinct deliveries.
func TestDeliveriesAreKeyedExactly(t *testing.T) {
	h, gdb := setup(t)
	upper, lower := hookOf(t, "W-1", "created", 1, "https://shop.example/a"), hookOf(t, "w-1", "created", 1, "https://shop.example/a")
	otherFlow := upper
	otherFlow.Flow = "topup"
	otherURL := upper
	otherURL.CallbackURL = "https://shop.example/b"
	long := hookOf(t, "d-1", "deposit", 2, "https://shop.example/a")
	long.MessageID = "d-1:deposit:" + strings.Repeat("x", 243) // 255 bytes
	for _, w := range []events.Webhook{upper, lower, otherFlow, otherURL, long} {
		if err := h.Handle(t.Context(), servicetest.Delivery(t, events.WebhookKey, w)); err != nil {
			t.Fatal(err)
		}
	}
	expectCounts(t, gdb, map[string]int64{
		"SELECT COUNT(*) FROM deliveries":                                         5,
		"SELECT COUNT(*) FROM deliveries WHERE webhook_id = 'W-1:created'":        3,
		"SELECT COUNT(*) FROM deliveries WHERE CHAR_LENGTH(webhook_id) = 255":     1,
		"SELECT COUNT(DISTINCT flow, webhook_id, url) FROM deliveries":            5,
		"SELECT COUNT(*) FROM deliveries WHERE url = 'https://shop.example/b'":    1,
		"SELECT COUNT(*) FROM deliveries WHERE BINARY webhook_id = 'w-1:created'": 1,
	})
}

// TestUndeliverableWebhooks: a Webhook message that is not the Webhook of a
// return is a poison error naming the reason, and records nothing; one whose
// callback URL the notifier cannot call is dropped.
func TestUndeliverableWebhooks(t *testing.T) {
	h, gdb := setup(t)
	valid := func(change func(*events.Webhook)) events.Webhook {
		w := hookOf(t, "o-1", "created", 1, "https://shop.example/hook")
		change(&w)
		return w
	}
	body := func(s string) func(*events.Webhook) { return func(w *events.Webhook) { w.Body = s } }
	for _, tc := range []struct {
		name   string
		msg    any
		reason string // empty: dropped without an error
	}{
		{"not a webhook", []string{"o-1"}, "not a Webhook"},
		{"unknown flow", valid(func(w *events.Webhook) { w.Flow = "refund" }), "unknown flow"},
		{"bad request_id", valid(func(w *events.Webhook) { w.RequestID = "o 1" }), "invalid request_id"},
		{"no message_id", valid(func(w *events.Webhook) { w.MessageID = "" }), "message_id empty"},
		{"long message_id", valid(func(w *events.Webhook) { w.MessageID = strings.Repeat("m", 256) }), "longer than 255 bytes"},
		{"no callback", valid(func(w *events.Webhook) { w.CallbackURL = "" }), "no callback_url"},
		{"body not JSON", valid(body("created")), "body is not a JSON object"},
		{"body an array", valid(body(`[{"event":"created","status":1}]`)), "body is not a JSON object"},
		{"body null", valid(body("null")), "body is not a JSON object"},
		{"body with a repeated key", valid(body(`{"event":"created","event":"paid","status":1}`)), "body is not a JSON object"},
		{"no event", valid(body(`{"request_id":"o-1","status":1}`)), "no event"},
		{"event not a string", valid(body(`{"request_id":"o-1","event":7,"status":1}`)), "no event"},
		{"long event", valid(body(`{"request_id":"o-1","event":"` + strings.Repeat("e", 33) + `","status":1}`)), "no event"},
		{"rejected", valid(body(signedReturn(t, map[string]any{"request_id": "o-1", "event": "rejected", "status": 0,
			"error": "bad_signature"}))), "a rejected return is never a webhook"},
		{"no status", valid(body(`{"request_id":"o-1","event":"created"}`)), "no status"},
		{"null status", valid(body(`{"request_id":"o-1","event":"created","status":null}`)), "no status"},
		{"status as text", valid(body(`{"request_id":"o-1","event":"created","status":"1"}`)), "no status"},
		{"status out of range", valid(body(`{"request_id":"o-1","event":"created","status":3}`)), "no status"},
		{"relative callback", valid(func(w *events.Webhook) { w.CallbackURL = "/hook" }), ""},
		{"ftp callback", valid(func(w *events.Webhook) { w.CallbackURL = "ftp://shop.example/hook" }), ""},
		{"callback without host", valid(func(w *events.Webhook) { w.CallbackURL = "https:///hook" }), ""},
		{"callback too long", valid(func(w *events.Webhook) {
			w.CallbackURL = "https://shop.example/" + strings.Repeat("a", 2048)
		}), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := h.Handle(t.Context(), servicetest.Delivery(t, events.WebhookKey, tc.msg))
			reason, poison := broker.IsPoison(err)
			switch {
			case tc.reason == "" && err != nil:
				t.Fatalf("error %v, want the message dropped", err)
			case tc.reason != "" && (!poison || !strings.Contains(reason, tc.reason)):
				t.Fatalf("error %v, want a poison error saying %q", err, tc.reason)
			}
		})
	}
	expectCounts(t, gdb, map[string]int64{"SELECT COUNT(*) FROM deliveries": 0})
}

// TestBatchAsOneByOne records in one batch what Handle records one message at
// a time, duplicates and a dropped callback included; a redelivered batch
// changes nothing, and a batch holding a poison message records nothing, so
// that each of its messages is then handled alone.
func TestBatchAsOneByOne(t *testing.T) {
	h, gdb := setup(t)
	const gone = "https://gone.example/hook"
	if err := gdb.Exec("INSERT INTO gone_endpoints (url_hash, url) VALUES (?, ?)", store.URLHash(gone), gone).Error; err != nil {
		t.Fatal(err)
	}
	badURL := hookOf(t, "o-4", "created", 1, "mailto:shop@example.com")
	batch := []broker.Delivery{
		servicetest.Delivery(t, events.WebhookKey, hookOf(t, "o-1", "created", 1, "https://shop.example/a")),
		servicetest.Delivery(t, events.WebhookKey, hookOf(t, "o-1", "paid", 2, "https://shop.example/a")),
		servicetest.Delivery(t, events.WebhookKey, hookOf(t, "o-1", "created", 1, "https://shop.example/a")),
		servicetest.Delivery(t, events.WebhookKey, hookOf(t, "o-2", "created", 1, gone)),
		servicetest.Delivery(t, events.WebhookKey, hookOf(t, "o-3", "expired", 0, "https://shop.example/b")),
		servicetest.Delivery(t, events.WebhookKey, badURL),
	}
	want := map[string]int64{
		"SELECT COUNT(*) FROM deliveries":                                               4,
		"SELECT COUNT(*) FROM deliveries WHERE request_id = 'o-1'":                      2,
		"SELECT COUNT(*) FROM deliveries WHERE state = 'gone' AND url = '" + gone + "'": 1,
		"SELECT COUNT(*) FROM deliveries WHERE state = 'pending'":                       3,
	}
	for range 2 {
		if err := h.HandleBatch(t.Context(), batch); err != nil {
			t.Fatal(err)
		}
		expectCounts(t, gdb, want)
	}
	poisoned := []broker.Delivery{servicetest.Delivery(t, events.WebhookKey, hookOf(t, "o-5", "created", 1, "https://shop.example/c")),
		servicetest.Delivery(t, events.WebhookKey, hookOf(t, "o-6", "rejected", 0, "https://shop.example/c"))}
	if _, ok := broker.IsPoison(h.HandleBatch(t.Context(), poisoned)); !ok {
		t.Fatal("a batch holding a rejected return did not fail with a poison error")
	}
	expectCounts(t, gdb, want)
}

// TestConcurrentBatches handles overlapping batches on several goroutines at
// once, every message twice: each return becomes exactly one delivery.
func TestConcurrentBatches(t *testing.T) {
	h, gdb := setup(t)
	const n, workers = 120, 6
	var all []broker.Delivery
	for i := range n {
		all = append(all, servicetest.Delivery(t, events.WebhookKey, hookOf(t, fmt.Sprintf("c-%d", i), "created", 1, fmt.Sprintf("https://x.example/%d", i%7))))
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			// Worker w takes the messages from w on, wrapping round, in
			// batches of 7: every message goes to several workers at once.
			mine := append(append([]broker.Delivery(nil), all[w*n/workers:]...), all[:w*n/workers]...)
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
	expectCounts(t, gdb, map[string]int64{"SELECT COUNT(*) FROM deliveries": n})
}
