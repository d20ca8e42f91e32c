package broker

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetrics(t *testing.T) {
	f := newFixture(t, QueueTypeClassic)
	c := f.dial(t)
	reg := prometheus.NewRegistry()
	if err := c.RegisterMetrics(reg); err != nil {
		t.Fatalf("RegisterMetrics: %v", err)
	}
	if err := c.RegisterMetrics(reg); err == nil {
		t.Fatal("second RegisterMetrics succeeded, want an error")
	}
	m := c.metrics.Load()

	// "ok" is acked, "bad" is dead-lettered, "flaky" fails once then is acked.
	var flaky atomic.Int32
	startConsumer(t, c, f.queue, 1, func(_ context.Context, d Delivery) error {
		switch string(d.Body) {
		case `"bad"`:
			return Poison("test")
		case `"flaky"`:
			if flaky.Add(1) == 1 {
				return errors.New("try again")
			}
		}
		return nil
	})
	for _, body := range []string{`"ok"`, `"bad"`, `"flaky"`} {
		if err := c.Publish(t.Context(), f.exchange, f.key, Message{Body: []byte(body)}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	if err := c.Publish(t.Context(), f.exchange, "unroutable.key", Message{Body: []byte(`"x"`)}); err == nil {
		t.Fatal("unroutable publish succeeded")
	}
	count := func(outcome string) float64 {
		return testutil.ToFloat64(m.consumed.WithLabelValues(f.queue, outcome))
	}
	waitFor(t, 10*time.Second, "consumed counters", func() bool {
		return count(OutcomeAck) == 2 && count(OutcomeDeadLetter) == 1 && count(OutcomeRequeue) == 1
	})
	if n := testutil.CollectAndCount(m.duration); n != 1 {
		t.Errorf("handler duration series = %d, want 1", n)
	}
	if got := testutil.ToFloat64(m.published.WithLabelValues(f.exchange, OutcomeOK)); got != 3 {
		t.Errorf("published ok = %v, want 3", got)
	}
	if got := testutil.ToFloat64(m.published.WithLabelValues(f.exchange, OutcomeError)); got != 1 {
		t.Errorf("published error = %v, want 1", got)
	}
	// The dead-lettered copy and the copy for flaky's second attempt went
	// through the default exchange.
	if got := testutil.ToFloat64(m.published.WithLabelValues("", OutcomeOK)); got != 2 {
		t.Errorf("default exchange publishes = %v, want 2", got)
	}
}

func TestMetricsUnregistered(t *testing.T) {
	var m *metrics
	m.consumedOne("q", OutcomeAck)
	m.observeHandler("q", time.Second)
	m.publishedOne("ex", nil)
}
