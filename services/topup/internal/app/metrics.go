package app

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are topup's Prometheus series.
type metrics struct {
	requestsByOutcome *prometheus.CounterVec
	depositsByStatus  *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requestsByOutcome: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paysuite_topup_requests_total", Help: "Topup requests handled, by outcome (registered, repeated or an error code).",
		}, []string{"outcome"}),
		depositsByStatus: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paysuite_deposits_total", Help: "Deposit returns written, by chain and status (2 pending, 1 confirmed, 0 reorged).",
		}, []string{"chain", "status"}),
	}
	reg.MustRegister(m.requestsByOutcome, m.depositsByStatus)
	return m
}

func (m *metrics) requests(outcome string) { m.requestsByOutcome.WithLabelValues(outcome).Inc() }

func (m *metrics) deposits(chain string, status int) {
	m.depositsByStatus.WithLabelValues(chain, strconv.Itoa(status)).Inc()
}
