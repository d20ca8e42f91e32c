// Package app wires the topup service's parts together and runs them until the
// context ends.
package app

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"paysuite/pkg/broker"
	"paysuite/pkg/events"
	"paysuite/pkg/request"
	"paysuite/pkg/service"
	"paysuite/pkg/sign"
	"paysuite/pkg/topology"
	"paysuite/services/topup/internal/config"
	"paysuite/services/topup/internal/deposits"
	"paysuite/services/topup/internal/requests"
	"paysuite/services/topup/internal/store"
)

// The most transfer events, and the most topup requests, recorded in one
// transaction; batches form only while every worker is busy.
const (
	depositBatch      = 50
	registrationBatch = 50
)

// headMaxAge is how long a read of the chain head serves new registrations:
// an older head only widens the listener's backfill a little.
const headMaxAge = time.Second

// Run starts topup and blocks until ctx is cancelled or a part fails.
func Run(ctx context.Context, cfg config.Config, log zerolog.Logger) error {
	nodes, err := dialChains(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer nodes.close()
	base, err := service.Start(ctx, service.Options{
		HTTPAddr: cfg.HTTPAddr, Profiling: cfg.Profiling, DB: cfg.DB, Migrations: store.Migrations(),
		Broker: cfg.Broker, Topology: topology.Suite(cfg.Names), Outbox: true,
		Name: "topup", InternalSecrets: cfg.InternalSecrets(),
	}, log)
	if err != nil {
		return err
	}
	st := store.New(base.DB)
	m := newMetrics(base.Ops.Registry())
	sealer := sign.Sealer{Secret: []byte(cfg.SignSecret)}
	reqs := &requests.Handler{
		Store: st, Publisher: base.MQ, Names: cfg.Names, Chains: nodes.requests, Keys: cfg.Keys,
		WatchHistory: cfg.WatchHistory, Internal: base.Keys, Sealer: sealer, Log: log, OnCommit: base.Kick, Observe: m.requests,
	}
	reqs.Gate = &request.Gate{
		Secrets: cfg.SignSecrets(), MaxSkew: cfg.MaxClockSkew, Publisher: base.MQ, Exchange: cfg.Names.Exchange,
		ReturnKey: cfg.Names.TopupReturnKey, Sealer: sealer, Replay: reqs.Replay, Log: log, Observe: m.requests,
	}
	deps := &deposits.Handler{Store: st, Names: cfg.Names, Internal: base.Keys, Sealer: sealer, Log: log,
		OnCommit: base.Kick, Observe: m.deposits, Witnesses: nodes.witnesses}
	transfers := events.TransferQueue(events.OwnerTopup)
	names := make([]string, len(cfg.List))
	for i, ch := range cfg.List {
		names[i] = ch.Name
	}
	log.Info().Strs("chains", names).Msg("topup started")
	return base.Run(ctx,
		func(ctx context.Context) error {
			return base.MQ.ConsumeBatches(ctx, cfg.Names.TopupQueue, cfg.Workers, reqs.Handle,
				broker.Batching{Max: registrationBatch, Handler: reqs.HandleBatch})
		},
		func(ctx context.Context) error {
			return base.Guard().Consume(ctx, transfers, cfg.Workers, deps.Handle,
				broker.Batching{Max: depositBatch, Handler: deps.HandleBatch})
		},
	)
}
