package txsender

import (
	"context"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/tokens"
)

// PendingRow is one payout request without a final answer, with its current
// transaction, as operators list them.
type PendingRow struct {
	RequestID string
	State     string
	SendState *string
	TxHash    *string
	Nonce     *uint64
	AgeSec    int64
}

// PrintPending runs query (which selects the columns of PendingRow) and prints
// the rows as a table; noun names the requests in the empty-list message.
func PrintPending(ctx context.Context, gdb *gorm.DB, out io.Writer, query, noun string, args ...any) error {
	var rows []PendingRow
	if err := gdb.WithContext(ctx).Raw(query, args...).Scan(&rows).Error; err != nil {
		return fmt.Errorf("list pending %s: %w", noun, err)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REQUEST_ID\tSTATE\tTX_STATE\tTX_HASH\tNONCE\tAGE")
	for _, r := range rows {
		nonce := "-"
		if r.Nonce != nil {
			nonce = strconv.FormatUint(*r.Nonce, 10)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.RequestID, r.State, orDash(r.SendState), orDash(r.TxHash),
			nonce, (time.Duration(r.AgeSec) * time.Second).String())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rows) == 0 {
		fmt.Fprintln(out, "no pending "+noun)
	}
	return nil
}

func orDash(s *string) string {
	if s == nil || *s == "" {
		return "-"
	}
	return *s
}

// balanceInterval is how often the hot wallet balances are read for the gauge.
const balanceInterval = 30 * time.Second

// Metrics are a payout service's own series: final answers by status, and its
// hot wallet's balances.
type Metrics struct {
	finals  *prometheus.CounterVec
	balance *prometheus.GaugeVec
}

// NewMetrics registers the final-answer counter described by finals (labelled
// by status) and the hot wallet balance gauge.
func NewMetrics(reg prometheus.Registerer, finals prometheus.CounterOpts) *Metrics {
	m := &Metrics{
		finals: prometheus.NewCounterVec(finals, []string{"status"}),
		balance: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "paysuite_hot_wallet_balance", Help: "Hot wallet balance, in whole tokens (ETH for the gas balance).",
		}, []string{"token"}),
	}
	reg.MustRegister(m.finals, m.balance)
	return m
}

// Final counts one final answer.
func (m *Metrics) Final(status int) { m.finals.WithLabelValues(strconv.Itoa(status)).Inc() }

// WatchBalances refreshes the balance gauges until ctx ends. A failed read
// keeps the last value and is retried at the next tick: the gauge is for
// dashboards, not for decisions.
func (m *Metrics) WatchBalances(ctx context.Context, node Node, hot common.Address, list tokens.List, log zerolog.Logger) error {
	tick := time.NewTicker(balanceInterval)
	defer tick.Stop()
	for {
		m.readBalances(ctx, node, hot, list, log)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func (m *Metrics) readBalances(ctx context.Context, node Node, hot common.Address, list tokens.List, log zerolog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if wei, err := node.BalanceAt(ctx, hot, nil); err != nil {
		log.Debug().Err(err).Msg("read ETH balance for metrics")
	} else {
		m.balance.WithLabelValues("ETH").Set(whole(wei, 18))
	}
	for _, t := range list {
		units, err := TokenBalance(ctx, node, t.Address, hot, nil)
		if err != nil {
			log.Debug().Err(err).Str("token", t.Symbol).Msg("read token balance for metrics")
			continue
		}
		m.balance.WithLabelValues(t.Symbol).Set(whole(units, t.Decimals))
	}
}

// whole converts base units to whole tokens for display; a gauge is a float,
// and no amount computed here is ever used as money.
func whole(units *big.Int, decimals int32) float64 {
	f, _ := new(big.Rat).SetFrac(units, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals)), nil)).Float64()
	return f
}
