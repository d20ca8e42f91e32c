// Package app wires the matcher's parts together and runs them until the
// context ends.
package app

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/events"
	"paysuite/pkg/outbox"
	"paysuite/pkg/service"
	"paysuite/pkg/sign"
	"paysuite/pkg/topology"
	"paysuite/services/matcher/internal/config"
	"paysuite/services/matcher/internal/expiry"
	"paysuite/services/matcher/internal/matching"
	"paysuite/services/matcher/internal/requests"
	"paysuite/services/matcher/internal/store"
)

// Run starts the matcher and blocks until ctx is cancelled or a part fails.
func Run(ctx context.Context, cfg config.Config, log zerolog.Logger) error {
	base, err := service.Start(ctx, service.Options{
		HTTPAddr: cfg.HTTPAddr, Profiling: cfg.Profiling, DB: cfg.DB, Migrations: store.Migrations(),
		Broker: cfg.Broker, Topology: topology.Suite(cfg.Names), Outbox: true,
	}, log)
	if err != nil {
		return err
	}
	if err := watchShared(ctx, base.DB, cfg); err != nil {
		return err
	}
	st := store.New(base.DB)
	sealer := sign.Sealer{Secret: []byte(cfg.SignSecret)}
	reqs := &requests.Handler{
		Store: st, Names: cfg.Names, Chain: cfg.Chain, Tokens: cfg.Tokens, Keys: cfg.Keys,
		SharedAddress: cfg.SharedAddress, OffsetDecimals: cfg.OffsetDecimals, MaxOffsetSteps: cfg.MaxOffsetSteps,
		Secret: []byte(cfg.SignSecret), MaxClockSkew: cfg.MaxClockSkew, Sealer: sealer, Log: log, OnCommit: base.Kick,
	}
	match := &matching.Handler{Store: st, Names: cfg.Names, SharedAddress: cfg.SharedAddress, Sealer: sealer,
		Log: log, OnCommit: base.Kick}
	exp := &expiry.Expirer{Store: st, Names: cfg.Names, Sealer: sealer, Log: log, Interval: cfg.ExpiryInterval,
		Batch: cfg.ExpiryBatch, OnCommit: base.Kick}
	log.Info().Str("chain", cfg.Chain).Str("shared_address", cfg.SharedAddress).Msg("matcher started")
	return base.Run(ctx,
		exp.Run,
		func(ctx context.Context) error {
			return base.MQ.Consume(ctx, cfg.Names.OrderQueue, cfg.Workers, reqs.Handle)
		},
		func(ctx context.Context) error {
			return base.MQ.Consume(ctx, events.TransferQueue(events.OwnerMatcher), cfg.Workers, match.Handle)
		},
	)
}

// watchShared asks the chain-listener, through the outbox, to watch the shared
// address; repeating it at every start is harmless.
func watchShared(ctx context.Context, gdb *gorm.DB, cfg config.Config) error {
	body, err := json.Marshal(events.WatchAddress{Chain: cfg.Chain, Address: cfg.SharedAddress, Owner: events.OwnerMatcher})
	if err != nil {
		return fmt.Errorf("encode watch request: %w", err)
	}
	err = gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return outbox.Add(tx, outbox.Message{Exchange: events.Exchange, RoutingKey: events.WatchKey,
			MessageID: "watch:" + cfg.SharedAddress, Body: body})
	})
	if err != nil {
		return fmt.Errorf("watch shared address: %w", err)
	}
	return nil
}
