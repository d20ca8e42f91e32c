package reconcile

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/db"
	"paysuite/pkg/events"
	"paysuite/pkg/payoutreturns"
	"paysuite/pkg/service"
)

// Metrics are the reconciliation's series, shared by the chains' jobs.
type Metrics struct{ differences *prometheus.GaugeVec }

// NewMetrics registers the series on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{differences: prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "paysuite_reconcile_differences",
		Help: "Deposit addresses whose balance on chain differs from the suite's records beyond what was in flight, by chain and asset, at the last reconciliation.",
	}, []string{"chain", "asset"})}
	reg.MustRegister(m.differences)
	return m
}

// Job reconciles one chain every Interval. A difference found is looked at
// again once what was in flight at its block has settled (Confirmations
// blocks later): only one that persists counts, in the metric and in a
// reconcile_difference alert.
type Job struct {
	*Reconciler
	Interval time.Duration
	Metrics  *Metrics
	Alerts   payoutreturns.Queue
	Log      zerolog.Logger
}

// Run reconciles until ctx ends.
func (j *Job) Run(ctx context.Context) error {
	return service.Every(ctx, j.Interval, j.Log, "reconciliation", j.Once)
}

// Once reconciles the chain now, on one replica at a time.
func (j *Job) Once(ctx context.Context) error {
	release, ok, err := db.TryLock(ctx, j.DB, "paysuite:reconcile:"+j.Chain, j.Log)
	if err != nil || !ok {
		return err
	}
	defer release()
	h, err := j.Height(ctx)
	if err != nil {
		return err
	}
	n, diffs, err := j.At(ctx, h)
	if err != nil {
		return err
	}
	if len(diffs) > 0 {
		if diffs, err = j.again(ctx, h, diffs); err != nil {
			return err
		}
	}
	counts := map[string]int{j.Native: 0}
	for _, t := range j.Tokens {
		counts[t.Symbol] = 0
	}
	for _, d := range diffs {
		counts[d.Asset]++
	}
	for asset, c := range counts {
		j.Metrics.differences.WithLabelValues(j.Chain, asset).Set(float64(c))
	}
	if len(diffs) == 0 {
		j.Log.Info().Uint64("block", h).Int("addresses", n).Msg("reconciled: no difference")
		return nil
	}
	msg := fmt.Sprintf("%d balances on %s differ from the suite's records: %s", len(diffs), j.Chain, Summary(diffs))
	j.Log.Error().Int("differences", len(diffs)).Msg(msg)
	return j.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return j.Alerts.AddAlert(tx, events.AlertReconcileDifference, "reconcile:"+j.Chain,
			fmt.Sprintf("reconcile-%s-%d", j.Chain, h), msg, time.Now())
	})
}

// again waits until the block Confirmations past h is settled and returns the
// differences of diffs that are still there.
func (j *Job) again(ctx context.Context, h uint64, diffs []Difference) ([]Difference, error) {
	wait := time.NewTicker(time.Second)
	defer wait.Stop()
	later := h
	for later < h+max(j.Confirmations, 1) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-wait.C:
		}
		var err error
		if later, err = j.Height(ctx); err != nil {
			return nil, err
		}
	}
	var addrs []string
	before := map[string]bool{}
	for _, d := range diffs {
		addrs = append(addrs, d.Address)
		before[d.Key()] = true
	}
	_, now, err := j.At(ctx, later, addrs...)
	if err != nil {
		return nil, err
	}
	var kept []Difference
	for _, d := range now {
		if before[d.Key()] {
			kept = append(kept, d)
		}
	}
	return kept, nil
}
