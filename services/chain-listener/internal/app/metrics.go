package app

import "github.com/prometheus/client_golang/prometheus"

// metrics are the listener's Prometheus series, labelled by chain.
type metrics struct {
	reg                           *prometheus.Registry
	head, cursor, watched, leader *prometheus.GaugeVec
}

// chainMetrics are the series of one chain.
type chainMetrics struct {
	head, cursor, watched, leader prometheus.Gauge
}

// newMetrics registers the series.
func newMetrics(reg *prometheus.Registry) *metrics {
	byChain := []string{"chain"}
	m := &metrics{
		reg: reg,
		head: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "paysuite_listener_head_block", Help: "Newest block number seen on the node."}, byChain),
		cursor: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "paysuite_listener_cursor_block", Help: "Last block number processed."}, byChain),
		watched: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "paysuite_listener_watched_addresses", Help: "Watched addresses held in memory."}, byChain),
		leader: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "paysuite_listener_leader", Help: "1 while this replica holds the chain's scanning lease."}, byChain),
	}
	reg.MustRegister(m.head, m.cursor, m.watched, m.leader)
	return m
}

// chain returns the series of the chain called name; lag reads its blocks
// behind the head.
func (m *metrics) chain(name string, lag func() uint64) *chainMetrics {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "paysuite_listener_blocks_behind", Help: "Blocks between the node's head and the last processed block.",
		ConstLabels: prometheus.Labels{"chain": name},
	}, func() float64 { return float64(lag()) }))
	return &chainMetrics{head: m.head.WithLabelValues(name), cursor: m.cursor.WithLabelValues(name),
		watched: m.watched.WithLabelValues(name), leader: m.leader.WithLabelValues(name)}
}

func (m *chainMetrics) observe(head, cursor uint64, watched int) {
	m.head.Set(float64(head))
	m.cursor.Set(float64(cursor))
	m.watched.Set(float64(watched))
}
