package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"paysuite/pkg/db/dbtest"
	"paysuite/services/notifier/internal/store"
)

// TestFinishBatch records, in one batch, attempts of every outcome and one
// whose lease another owner holds: each delivery ends as Finish would leave
// it, and every attempt is in the log.
func TestFinishBatch(t *testing.T) {
	gdb := dbtest.Open(t, store.Migrations())
	st := store.New(gdb)
	urls := map[string]string{
		"ok": "https://a.example/ok", "retry": "https://a.example/retry", "failed": "https://a.example/failed",
		"gone": "https://b.example/gone", "gone-other": "https://b.example/gone", "stolen": "https://a.example/stolen",
	}
	var hooks []store.Webhook
	for id, url := range urls {
		hooks = append(hooks, store.Webhook{Flow: "order", RequestID: id, MessageID: id + ":created", Event: "created",
			Status: 1, URL: url, Body: []byte(`{}`)})
	}
	if _, err := st.AddDeliveries(t.Context(), hooks); err != nil {
		t.Fatal(err)
	}
	claimed, err := st.Claim(t.Context(), "me", 10, map[string]int{}, 10, time.Minute)
	if err != nil || len(claimed) != len(urls) {
		t.Fatalf("claimed %d of %d (%v)", len(claimed), len(urls), err)
	}
	byID := map[string]store.Delivery{}
	for _, d := range claimed {
		byID[d.RequestID] = d
	}
	// Another replica took "stolen" over after this one's lease lapsed.
	if err := gdb.Exec("UPDATE deliveries SET lease_owner = 'other' WHERE request_id = 'stolen'").Error; err != nil {
		t.Fatal(err)
	}
	code := func(c int) *int { return &c }
	long := strings.Repeat("x", 3000)
	attempt := func(id string, status *int, msg *string) store.Attempt {
		return store.Attempt{Attempt: byID[id].Attempts, Worker: "me", StartedAt: time.Now().UTC(), DurationMS: 3,
			StatusCode: status, Error: msg}
	}
	batch := []store.Finished{
		{Delivery: byID["ok"], Result: store.Result{Attempt: attempt("ok", code(204), nil), State: store.StateDelivered}},
		{Delivery: byID["retry"], Result: store.Result{Attempt: attempt("retry", code(503), nil), State: store.StatePending, RetryIn: time.Hour}},
		{Delivery: byID["failed"], Result: store.Result{Attempt: attempt("failed", nil, &long), State: store.StateFailed}},
		{Delivery: byID["gone"], Result: store.Result{Attempt: attempt("gone", code(410), nil), State: store.StateGone}},
		{Delivery: byID["stolen"], Result: store.Result{Attempt: attempt("stolen", code(204), nil), State: store.StateDelivered}},
	}
	if err := st.FinishBatch(t.Context(), "me", batch); err != nil {
		t.Fatal(err)
	}
	list, err := st.List(t.Context(), store.Filter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]store.Delivery{}
	for _, d := range list {
		got[d.RequestID] = d
	}
	want := map[string]string{"ok": store.StateDelivered, "retry": store.StatePending, "failed": store.StateFailed,
		"gone": store.StateGone, "gone-other": store.StateGone, "stolen": store.StatePending}
	for id, state := range want {
		if got[id].State != state {
			t.Errorf("%s: state %s, want %s", id, got[id].State, state)
		}
	}
	if d := got["ok"]; d.DeliveredAt == nil || d.LastStatus == nil || *d.LastStatus != 204 || d.LastError != nil {
		t.Errorf("delivered: %+v", d)
	}
	if d := got["retry"]; time.Until(d.NextAttemptAt) < 30*time.Minute || d.DeliveredAt != nil || *d.LastStatus != 503 {
		t.Errorf("retry: next attempt at %s, %+v", d.NextAttemptAt, d)
	}
	if d := got["failed"]; d.LastError == nil || len(*d.LastError) != 1024 || d.LastStatus != nil {
		t.Errorf("failed: %+v", d)
	}
	if d := got["stolen"]; d.DeliveredAt != nil || d.LastStatus != nil {
		t.Errorf("a delivery leased to another owner was changed: %+v", d)
	}
	for id := range want {
		atts, err := st.Attempts(t.Context(), got[id].ID)
		wantAtts := 1
		if id == "gone-other" {
			wantAtts = 0
		}
		if err != nil || len(atts) != wantAtts {
			t.Errorf("%s: %d attempts recorded, want %d (%v)", id, len(atts), wantAtts, err)
		}
	}
	var leased int64
	if err := gdb.Raw("SELECT COUNT(*) FROM deliveries WHERE lease_owner = 'me'").Scan(&leased).Error; err != nil {
		t.Fatal(err)
	}
	if leased != 1 { // gone-other, claimed and not finished
		t.Errorf("%d deliveries still leased to me, want 1", leased)
	}
	if err := st.FinishBatch(t.Context(), "me", nil); err != nil {
		t.Fatal(fmt.Errorf("empty batch: %w", err))
	}
}

// TestRelease gives back a claimed delivery that was not attempted: it is
// due again at once, for any replica, and the claim is not counted.
func TestRelease(t *testing.T) {
	gdb := dbtest.Open(t, store.Migrations())
	st := store.New(gdb)
	_, err := st.AddDeliveries(t.Context(), []store.Webhook{{Flow: "order", RequestID: "r", MessageID: "r:created",
		Event: "created", Status: 1, URL: "https://a.example/", Body: []byte(`{}`)}})
	if err != nil {
		t.Fatal(err)
	}
	claimed, err := st.Claim(t.Context(), "me", 10, map[string]int{}, 10, time.Hour)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claimed %d (%v)", len(claimed), err)
	}
	if err := st.Release(t.Context(), "someone else", claimed); err != nil {
		t.Fatal(err)
	}
	if again, err := st.Claim(t.Context(), "other", 10, map[string]int{}, 10, time.Hour); err != nil || len(again) != 0 {
		t.Fatalf("a delivery released by another owner was claimed again: %d (%v)", len(again), err)
	}
	if err := st.Release(t.Context(), "me", claimed); err != nil {
		t.Fatal(err)
	}
	again, err := st.Claim(t.Context(), "other", 10, map[string]int{}, 10, time.Hour)
	if err != nil || len(again) != 1 || again[0].Attempts != 1 || again[0].RoundAttempts != 1 {
		t.Fatalf("after release: %+v (%v)", again, err)
	}
}
