// Package app wires the topup service's parts together and runs them until the
// context ends.
package app

import (
	"context"

	"github.com/rs/zerolog"

	"paysuite/pkg/broker"
	"paysuite/pkg/events"
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

// Run starts topup and blocks until ctx is cancelled or a part fails.
func Run(ctx context.Context, cfg config.Config, log zerolog.Logger) error {
	base, err := service.Start(ctx, service.Options{
		HTTPAddr: cfg.HTTPAddr, Profiling: cfg.Profiling, DB: cfg.DB, Migrations: store.Migrations(),
		Broker: cfg.Broker, Topology: topology.Suite(cfg.Names), Outbox: true,
	}, log)
	if err != nil {
		return err
	}
	st := store.New(base.DB)
	m := newMetrics(base.Ops.Registry())
	sealer := sign.Sealer{Secret: []byte(cfg.SignSecret)}
	reqs := &requests.Handler{
		Store: st, Publisher: base.MQ, Names: cfg.Names, Chain: cfg.Chain, Tokens: cfg.Tokens, Keys: cfg.Keys,
		Secret: []byte(cfg.SignSecret), MaxClockSkew: cfg.MaxClockSkew, Sealer: sealer, Log: log,
		OnCommit: base.Kick, Observe: m.requests,
	}
	deps := &deposits.Handler{Store: st, Names: cfg.Names, Sealer: sealer, Log: log, OnCommit: base.Kick, Observe: m.deposits}
	log.Info().Str("chain", cfg.Chain).Msg("topup started")
	return base.Run(ctx,
		func(ctx context.Context) error {
			return base.MQ.ConsumeBatches(ctx, cfg.Names.TopupQueue, cfg.Workers, reqs.Handle,
				broker.Batching{Max: registrationBatch, Handler: reqs.HandleBatch})
		},
		func(ctx context.Context) error {
			return base.MQ.ConsumeBatches(ctx, events.TransferQueue(events.OwnerTopup), cfg.Workers, deps.Handle,
				broker.Batching{Max: depositBatch, Handler: deps.HandleBatch})
		},
	)
}
