package webhook

import "github.com/prometheus/client_golang/prometheus"

// Outcomes of one webhook attempt, as counted by paysuite_webhook_attempts_total.
const (
	OutcomeDelivered = "delivered"
	OutcomeFailed    = "failed" // error or non-2xx answer, retried or not
	OutcomeGone      = "gone"   // 410 Gone: the endpoint wants no more
	OutcomeRefused   = "refused"
)

// Metrics counts webhook attempts. A nil *Metrics counts nothing.
type Metrics struct {
	attempts *prometheus.CounterVec
}

// NewMetrics creates the webhook counters and registers them with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "paysuite_webhook_attempts_total",
		Help: "Webhook delivery attempts, by outcome (delivered, failed, gone, refused).",
	}, []string{"outcome"})}
	if err := reg.Register(m.attempts); err != nil {
		return nil, err
	}
	// Every outcome is shown from the start, so a rate is defined before the
	// first failure.
	for _, o := range []string{OutcomeDelivered, OutcomeFailed, OutcomeGone, OutcomeRefused} {
		m.attempts.WithLabelValues(o)
	}
	return m, nil
}

func (m *Metrics) attempt(outcome string) {
	if m == nil {
		return
	}
	m.attempts.WithLabelValues(outcome).Inc()
}
