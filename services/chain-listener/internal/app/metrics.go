package app

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the listener's Prometheus series.
type metrics struct {
	head, cursor, watched, leader prometheus.Gauge
	lag                           atomic.Uint64
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		head:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "paysuite_listener_head_block", Help: "Newest block number seen on the node."}),
		cursor:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "paysuite_listener_cursor_block", Help: "Last block number processed."}),
		watched: prometheus.NewGauge(prometheus.GaugeOpts{Name: "paysuite_listener_watched_addresses", Help: "Watched addresses held in memory."}),
		leader:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "paysuite_listener_leader", Help: "1 while this replica holds the scanning lease."}),
	}
	behind := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "paysuite_listener_blocks_behind", Help: "Blocks between the node's head and the last processed block.",
	}, func() float64 { return float64(m.lag.Load()) })
	reg.MustRegister(m.head, m.cursor, m.watched, m.leader, behind)
	return m
}

func (m *metrics) observe(head, cursor uint64, watched int) {
	m.head.Set(float64(head))
	m.cursor.Set(float64(cursor))
	m.watched.Set(float64(watched))
	if head > cursor {
		m.lag.Store(head - cursor)
	} else {
		m.lag.Store(0)
	}
}

func (m *metrics) behind() uint64 { return m.lag.Load() }
