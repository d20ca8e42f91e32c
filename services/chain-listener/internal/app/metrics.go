package app

import "github.com/prometheus/client_golang/prometheus"

// metrics are the listener's Prometheus series.
type metrics struct {
	head, cursor, watched, leader prometheus.Gauge
}

// newMetrics registers the series; lag reads the blocks behind the head.
func newMetrics(reg *prometheus.Registry, lag func() uint64) *metrics {
	m := &metrics{
		head:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "paysuite_listener_head_block", Help: "Newest block number seen on the node."}),
		cursor:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "paysuite_listener_cursor_block", Help: "Last block number processed."}),
		watched: prometheus.NewGauge(prometheus.GaugeOpts{Name: "paysuite_listener_watched_addresses", Help: "Watched addresses held in memory."}),
		leader:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "paysuite_listener_leader", Help: "1 while this replica holds the scanning lease."}),
	}
	behind := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "paysuite_listener_blocks_behind", Help: "Blocks between the node's head and the last processed block.",
	}, func() float64 { return float64(lag()) })
	reg.MustRegister(m.head, m.cursor, m.watched, m.leader, behind)
	return m
}

func (m *metrics) observe(head, cursor uint64, watched int) {
	m.head.Set(float64(head))
	m.cursor.Set(float64(cursor))
	m.watched.Set(float64(watched))
}
