// Package app wires the matcher's parts together and runs them until the
// context ends.
package app

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/ethnode"
	"paysuite/pkg/events"
	"paysuite/pkg/outbox"
	"paysuite/pkg/request"
	"paysuite/pkg/service"
	"paysuite/pkg/sign"
	"paysuite/pkg/topology"
	"paysuite/pkg/witness"
	"paysuite/services/matcher/internal/config"
	"paysuite/services/matcher/internal/expiry"
	"paysuite/services/matcher/internal/matching"
	"paysuite/services/matcher/internal/requests"
	"paysuite/services/matcher/internal/store"
)

// Run starts the matcher and blocks until ctx is cancelled or a part fails.
func Run(ctx context.Context, cfg config.Config, log zerolog.Logger) error {
	node, err := ethnode.Dial(ctx, cfg.RPCURL, cfg.CheckDevChain, log)
	if err != nil {
		return err
	}
	defer node.Close()
	base, err := service.Start(ctx, service.Options{
		HTTPAddr: cfg.HTTPAddr, Profiling: cfg.Profiling, DB: cfg.DB, Migrations: store.Migrations(),
		Broker: cfg.Broker, Topology: topology.Suite(cfg.Names), Outbox: true,
		Name: "matcher", InternalSecrets: cfg.InternalSecrets(),
	}, log)
	if err != nil {
		return err
	}
	if err := watchShared(ctx, base, cfg); err != nil {
		return err
	}
	st := store.New(base.DB)
	sealer := sign.Sealer{Secret: []byte(cfg.SignSecret)}
	reqs := &requests.Handler{
		Store: st, Names: cfg.Names, Chain: cfg.Chain, Tokens: cfg.Tokens, Keys: cfg.Keys,
		SharedAddress: cfg.SharedAddress, OffsetDecimals: cfg.OffsetDecimals, MaxOffsetSteps: cfg.MaxOffsetSteps,
		Head: &ethnode.Head{Client: node, MaxAge: time.Second}, Internal: base.Keys, Sealer: sealer, Log: log, OnCommit: base.Kick,
	}
	reqs.Gate = &request.Gate{
		Secrets: cfg.SignSecrets(), MaxSkew: cfg.MaxClockSkew, Publisher: base.MQ, Exchange: cfg.Names.Exchange,
		ReturnKey: cfg.Names.OrderReturnKey, Sealer: sealer, Replay: reqs.Replay, Log: log,
	}
	match := &matching.Handler{Store: st, Names: cfg.Names, SharedAddress: cfg.SharedAddress, Internal: base.Keys,
		Sealer: sealer, Log: log, OnCommit: base.Kick, Witness: &witness.Witness{
			Node: node, Chain: cfg.Chain, Tokens: cfg.Tokens, Confirmations: cfg.Confirmations,
		}}
	exp := &expiry.Expirer{Store: st, Names: cfg.Names, Sealer: sealer, Internal: base.Keys, Log: log,
		Interval: cfg.ExpiryInterval, Batch: cfg.ExpiryBatch, OnCommit: base.Kick}
	transfers := events.TransferQueue(events.OwnerMatcher)
	log.Info().Str("chain", cfg.Chain).Str("shared_address", cfg.SharedAddress).Msg("matcher started")
	return base.Run(ctx,
		exp.Run,
		func(ctx context.Context) error {
			return base.MQ.Consume(ctx, cfg.Names.OrderQueue, cfg.Workers, reqs.Handle)
		},
		func(ctx context.Context) error {
			return base.Guard().Consume(ctx, transfers, cfg.Workers, match.Handle, broker.Batching{})
		},
	)
}

// watchShared asks the chain-listener, through the outbox, to watch the shared
// address; repeating it at every start is harmless.
func watchShared(ctx context.Context, base *service.Base, cfg config.Config) error {
	msg, err := base.Keys.Message(events.WatchKey, "watch:"+cfg.SharedAddress,
		events.WatchAddress{Chain: cfg.Chain, Address: cfg.SharedAddress, Owner: events.OwnerMatcher})
	if err != nil {
		return fmt.Errorf("seal watch request: %w", err)
	}
	err = base.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return outbox.Add(tx, msg) })
	if err != nil {
		return fmt.Errorf("watch shared address: %w", err)
	}
	return nil
}
