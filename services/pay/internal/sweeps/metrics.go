package sweeps

import (
	"math/big"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the sweeps' Prometheus series, shared by the chains' sweepers.
type Metrics struct {
	swept   *prometheus.CounterVec
	gas     *prometheus.CounterVec
	sweeps  *prometheus.CounterVec
	waiting *prometheus.GaugeVec
}

// NewMetrics registers the series on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		swept: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paysuite_swept_tokens_total",
			Help: "Tokens moved out of deposit addresses by confirmed sweeps, in whole tokens, by chain, token and destination (collection, cold).",
		}, []string{"chain", "token", "to"}),
		gas: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paysuite_sweep_gas_wei_total",
			Help: "Fees paid for sweeping, in wei of the chain's coin, by chain and kind (funding: the gas funding of deposit addresses; transfer: the sweeps themselves).",
		}, []string{"chain", "kind"}),
		sweeps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paysuite_sweeps_total",
			Help: "Sweeps ended, by chain and state (done, failed).",
		}, []string{"chain", "state"}),
		waiting: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "paysuite_sweep_addresses_waiting",
			Help: "Deposit addresses due for sweeping that wait, by chain and reason (gas_price, in_flight, pending_deposit), at the last round.",
		}, []string{"chain", "reason"}),
	}
	reg.MustRegister(m.swept, m.gas, m.sweeps, m.waiting)
	return m
}

// Waiting reasons.
const (
	WaitGasPrice       = "gas_price"
	WaitInFlight       = "in_flight"
	WaitPendingDeposit = "pending_deposit"
)

func (m *Metrics) setWaiting(chain string, counts map[string]int) {
	for _, reason := range []string{WaitGasPrice, WaitInFlight, WaitPendingDeposit} {
		m.waiting.WithLabelValues(chain, reason).Set(float64(counts[reason]))
	}
}

func (m *Metrics) addSwept(chain, token, to string, units *big.Int, decimals int32) {
	if units.Sign() <= 0 {
		return
	}
	f, _ := new(big.Float).Quo(new(big.Float).SetInt(units), new(big.Float).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals)), nil))).Float64()
	m.swept.WithLabelValues(chain, token, to).Add(f)
}

func (m *Metrics) addGas(chain, kind string, wei *big.Int) {
	f, _ := new(big.Float).SetInt(wei).Float64()
	m.gas.WithLabelValues(chain, kind).Add(f)
}
