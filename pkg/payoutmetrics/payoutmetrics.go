// Package payoutmetrics holds a payout service's own series: its final
// answers by status, and its hot wallet's balances.
package payoutmetrics

import (
	"context"
	"math/big"
	"strconv"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"paysuite/pkg/config/onchain"
	"paysuite/pkg/erc20"
)

// Node is what the balance gauge reads from an Ethereum JSON-RPC node
// (txsender.RPCNode is one).
type Node interface {
	ethereum.ContractCaller
	BalanceAt(ctx context.Context, account common.Address, block *big.Int) (*big.Int, error)
}

// balanceInterval is how often the hot wallet balances are read for the gauge.
const balanceInterval = 30 * time.Second

// Metrics are a payout service's own series: final answers by status, and its
// hot wallet's balances.
type Metrics struct {
	finals  *prometheus.CounterVec
	balance *prometheus.GaugeVec
}

// New registers the final-answer counter described by finals (labelled
// by status) and the hot wallet balance gauge.
func New(reg prometheus.Registerer, finals prometheus.CounterOpts) *Metrics {
	m := &Metrics{
		finals: prometheus.NewCounterVec(finals, []string{"status"}),
		balance: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "paysuite_hot_wallet_balance", Help: "Hot wallet balance on a chain, in whole tokens (the chain's native coin, ETH or BNB, for the gas balance).",
		}, []string{"chain", "token"}),
	}
	reg.MustRegister(m.finals, m.balance)
	return m
}

// Final counts one final answer.
func (m *Metrics) Final(status int) { m.finals.WithLabelValues(strconv.Itoa(status)).Inc() }

// WatchBalances refreshes the balance gauges of chain, read through node,
// until ctx ends. A failed read keeps the last value and is retried at the
// next tick: the gauge is for dashboards, not for decisions.
func (m *Metrics) WatchBalances(ctx context.Context, node Node, hot common.Address, chain onchain.Chain, log zerolog.Logger) error {
	tick := time.NewTicker(balanceInterval)
	defer tick.Stop()
	for {
		m.readBalances(ctx, node, hot, chain, log)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func (m *Metrics) readBalances(ctx context.Context, node Node, hot common.Address, chain onchain.Chain, log zerolog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if wei, err := node.BalanceAt(ctx, hot, nil); err != nil {
		log.Debug().Err(err).Str("chain", chain.Name).Msg("read native balance for metrics")
	} else {
		m.balance.WithLabelValues(chain.Name, chain.NativeSymbol).Set(whole(wei, 18))
	}
	for _, t := range chain.Tokens {
		units, err := erc20.BalanceOf(ctx, node, t.Address, hot, nil)
		if err != nil {
			log.Debug().Err(err).Str("chain", chain.Name).Str("token", t.Symbol).Msg("read token balance for metrics")
			continue
		}
		m.balance.WithLabelValues(chain.Name, t.Symbol).Set(whole(units, t.Decimals))
	}
}

// whole converts base units to whole tokens for display; a gauge is a float,
// and no amount computed here is ever used as money.
func whole(units *big.Int, decimals int32) float64 {
	f, _ := new(big.Rat).SetFrac(units, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals)), nil)).Float64()
	return f
}
