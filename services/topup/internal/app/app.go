// Package app wires the topup service's parts together and runs them until the
// context ends.
package app

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"paysuite/pkg/broker"
	"paysuite/pkg/db"
	"paysuite/pkg/events"
	"paysuite/pkg/ops"
	"paysuite/pkg/outbox"
	"paysuite/pkg/topology"
	"paysuite/services/topup/internal/config"
	"paysuite/services/topup/internal/deposits"
	"paysuite/services/topup/internal/requests"
	"paysuite/services/topup/internal/returns"
	"paysuite/services/topup/internal/store"
)

// Run starts topup and blocks until ctx is cancelled or a part fails.
func Run(ctx context.Context, cfg config.Config, log zerolog.Logger) error {
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	gdb, err := db.Open(startCtx, cfg.DB, store.Migrations(), log)
	if err != nil {
		return err
	}
	if sqlDB, err := gdb.DB(); err == nil {
		defer sqlDB.Close()
	}
	mq, err := broker.Dial(startCtx, cfg.Broker, topology.Suite(cfg.Names), log)
	if err != nil {
		return err
	}
	defer mq.Close()

	st := store.New(gdb)
	relay := outbox.NewRelay(gdb, mq, log, 500, time.Second)
	sealer := returns.Sealer{Secret: []byte(cfg.SignSecret)}
	reqs := &requests.Handler{
		Store: st, Publisher: mq, Names: cfg.Names, Chain: cfg.Chain, Tokens: cfg.Tokens, Keys: cfg.Keys,
		Secret: []byte(cfg.SignSecret), MaxClockSkew: cfg.MaxClockSkew, Sealer: sealer, Log: log, OnCommit: relay.Kick,
	}
	deps := &deposits.Handler{Store: st, Names: cfg.Names, Sealer: sealer, Log: log, OnCommit: relay.Kick}

	srv := ops.New(cfg.HTTPAddr, log)
	srv.AddCheck("database", func(ctx context.Context) error { return db.Ping(ctx, gdb) })
	srv.AddCheck("broker", func(context.Context) error {
		if !mq.Ready() {
			return errors.New("not connected")
		}
		return nil
	})
	m := newMetrics(srv.Registry(), gdb)
	reqs.Observe = m.requests
	deps.Observe = m.deposits

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Run(gctx) })
	g.Go(func() error { return relay.Run(gctx) })
	g.Go(func() error { return mq.Consume(gctx, cfg.Names.TopupQueue, cfg.Workers, reqs.Handle) })
	g.Go(func() error {
		return mq.Consume(gctx, events.TransferQueue(events.OwnerTopup), cfg.Workers, deps.Handle)
	})
	log.Info().Str("chain", cfg.Chain).Msg("topup started")
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
