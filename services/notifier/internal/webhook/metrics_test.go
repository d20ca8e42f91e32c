package webhook_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"paysuite/pkg/db/dbtest"
	"paysuite/services/notifier/internal/store"
	"paysuite/services/notifier/internal/webhook"
)

// attempts reads paysuite_webhook_attempts_total by outcome from reg.
func attempts(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "paysuite_webhook_attempts_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" {
					out[l.GetValue()] = m.GetCounter().GetValue()
				}
			}
		}
	}
	return out
}

func TestAttemptMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := webhook.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	if got := attempts(t, reg); len(got) != 4 {
		t.Fatalf("outcomes exported before any attempt: %v, want all four at 0", got)
	}
	gdb := dbtest.Open(t, store.Migrations())
	rcv := newReceiver(t, func(n int) int {
		switch {
		case n <= 2:
			return http.StatusServiceUnavailable
		default:
			return http.StatusOK
		}
	})
	d := newDeliverer(t, gdb, webhook.Policy{AllowLoopback: true}, []time.Duration{20 * time.Millisecond, 20 * time.Millisecond, time.Hour}, 2*time.Second, 2)
	d.Metrics = m
	run(t, d)
	addReturn(t, gdb, "m-ok", rcv.srv.URL+"/hook")
	waitFor(t, "delivered", 10*time.Second, func() bool { return delivery(t, gdb, "m-ok").State == store.StateDelivered })

	gone := newReceiver(t, func(int) int { return http.StatusGone })
	addReturn(t, gdb, "m-gone", gone.srv.URL+"/hook")
	waitFor(t, "gone", 10*time.Second, func() bool { return delivery(t, gdb, "m-gone").State == store.StateGone })

	want := map[string]float64{webhook.OutcomeDelivered: 1, webhook.OutcomeFailed: 2, webhook.OutcomeGone: 1, webhook.OutcomeRefused: 0}
	got := attempts(t, reg)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("outcome %s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
}

func TestAttemptMetricsRefused(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := webhook.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	gdb := dbtest.Open(t, store.Migrations())
	rcv := newReceiver(t, func(int) int { return http.StatusOK })
	d := newDeliverer(t, gdb, webhook.Policy{}, []time.Duration{time.Hour}, 2*time.Second, 1)
	d.Metrics = m
	run(t, d)
	addReturn(t, gdb, "m-refused", rcv.srv.URL+"/")
	waitFor(t, "refused", 10*time.Second, func() bool { return delivery(t, gdb, "m-refused").State == store.StateFailed })
	if got := attempts(t, reg)[webhook.OutcomeRefused]; got != 1 {
		t.Errorf("refused = %v, want 1", got)
	}
}
