package broker

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes of a consumed message, as counted by paysuite_messages_consumed_total.
const (
	OutcomeAck        = "ack"
	OutcomeDeadLetter = "dead_letter"
	OutcomeRequeue    = "requeue"
)

// Outcomes of a publish, as counted by paysuite_messages_published_total.
const (
	OutcomeOK    = "ok"
	OutcomeError = "error"
)

// metrics are the client's collectors. A nil *metrics records nothing, so a
// client whose metrics were never registered behaves exactly the same.
type metrics struct {
	consumed  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	published *prometheus.CounterVec
}

func newMetrics() *metrics {
	return &metrics{
		consumed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paysuite_messages_consumed_total",
			Help: "Messages taken from a queue, by queue and outcome (ack, dead_letter, requeue: to be tried again).",
		}, []string{"queue", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "paysuite_handler_duration_seconds",
			Help:    "Time a handler took on one message, by queue.",
			Buckets: prometheus.DefBuckets,
		}, []string{"queue"}),
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paysuite_messages_published_total",
			Help: "Messages published, by exchange and outcome (ok, error).",
		}, []string{"exchange", "outcome"}),
	}
}

// RegisterMetrics registers the client's message counters and handler
// latency histogram with reg. The collectors are created once per client;
// registering a second time returns an error.
func (c *Client) RegisterMetrics(reg prometheus.Registerer) error {
	if reg == nil {
		return errors.New("register broker metrics: nil registerer")
	}
	m := newMetrics()
	if !c.metrics.CompareAndSwap(nil, m) {
		return errors.New("register broker metrics: already registered")
	}
	for _, col := range []prometheus.Collector{m.consumed, m.duration, m.published} {
		if err := reg.Register(col); err != nil {
			return fmt.Errorf("register broker metrics: %w", err)
		}
	}
	return nil
}

func (m *metrics) observeHandler(queue string, took time.Duration) {
	if m == nil {
		return
	}
	m.duration.WithLabelValues(queue).Observe(took.Seconds())
}

func (m *metrics) consumedOne(queue, outcome string) {
	if m == nil {
		return
	}
	m.consumed.WithLabelValues(queue, outcome).Inc()
}

func (m *metrics) publishedOne(exchange string, err error) {
	if m == nil {
		return
	}
	outcome := OutcomeOK
	if err != nil {
		outcome = OutcomeError
	}
	m.published.WithLabelValues(exchange, outcome).Inc()
}
