// Package app wires the matcher's parts together and runs them until the
// context ends.
package app

import (
	"context"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/config/onchain"
	"paysuite/pkg/ethnode"
	"paysuite/pkg/events"
	"paysuite/pkg/outbox"
	"paysuite/pkg/request"
	"paysuite/pkg/service"
	"paysuite/pkg/sign"
	"paysuite/pkg/topology"
	"paysuite/services/matcher/internal/checkout"
	"paysuite/services/matcher/internal/config"
	"paysuite/services/matcher/internal/expiry"
	"paysuite/services/matcher/internal/matching"
	"paysuite/services/matcher/internal/requests"
	"paysuite/services/matcher/internal/store"
)

// Run starts the matcher and blocks until ctx is cancelled or a part fails.
func Run(ctx context.Context, cfg config.Config, log zerolog.Logger) error {
	nodes, err := dialChains(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer nodes.close()
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
		Store: st, Names: cfg.Names, Chains: cfg.List, Keys: cfg.Keys,
		SharedAddress: cfg.SharedAddress, OffsetDecimals: cfg.OffsetDecimals, MaxOffsetSteps: cfg.MaxOffsetSteps,
		Heads: nodes.heads, Internal: base.Keys, Sealer: sealer, Log: log, OnCommit: base.Kick,
		CheckoutBase: cfg.Checkout.PublicURL,
	}
	reqs.Gate = &request.Gate{
		Secrets: cfg.SignSecrets(), MaxSkew: cfg.MaxClockSkew, Publisher: base.MQ, Exchange: cfg.Names.Exchange,
		ReturnKey: cfg.Names.OrderReturnKey, Sealer: sealer, Replay: reqs.Replay, Log: log,
	}
	match := &matching.Handler{Store: st, Names: cfg.Names, SharedAddress: cfg.SharedAddress, Internal: base.Keys,
		Sealer: sealer, Log: log, OnCommit: base.Kick, Witnesses: nodes.witnesses}
	exp := &expiry.Expirer{Store: st, Names: cfg.Names, Sealer: sealer, Internal: base.Keys, Log: log,
		Interval: cfg.ExpiryInterval, Batch: cfg.ExpiryBatch, OnCommit: base.Kick}
	transfers := events.TransferQueue(events.OwnerMatcher)
	parts := []func(context.Context) error{
		exp.Run,
		func(ctx context.Context) error {
			return base.MQ.Consume(ctx, cfg.Names.OrderQueue, cfg.Workers, reqs.Handle)
		},
		func(ctx context.Context) error {
			return base.Guard().Consume(ctx, transfers, cfg.Workers, match.Handle, broker.Batching{})
		},
	}
	if cfg.Checkout.Addr != "" {
		list, err := withChainIDs(ctx, cfg.List, nodes.nodes)
		if err != nil {
			return err
		}
		// The checkout runs the same flow as the request queue, in-process.
		parts = append(parts, checkout.New(checkout.Options{Requests: reqs, Store: st, Chains: list, Sealer: sealer,
			Config: cfg.Checkout, Log: log}).Run)
	}
	log.Info().Strs("chains", chainNames(cfg)).Str("shared_address", cfg.SharedAddress).Msg("matcher started")
	return base.Run(ctx, parts...)
}

// watchShared asks the chain-listener, through the outbox, to watch the shared
// address on every chain; repeating it at every start is harmless.
func watchShared(ctx context.Context, base *service.Base, cfg config.Config) error {
	var msgs []outbox.Message
	for _, ch := range cfg.List {
		msg, err := requests.WatchMessage(base.Keys, ch.Name, cfg.SharedAddress, nil)
		if err != nil {
			return fmt.Errorf("seal watch request: %w", err)
		}
		msgs = append(msgs, msg)
	}
	err := base.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return outbox.Add(tx, msgs...) })
	if err != nil {
		return fmt.Errorf("watch shared address: %w", err)
	}
	return nil
}

// withChainIDs is list with each chain's id as its node reports it: a chain
// of the single-chain form (CHAIN, ETH_RPC_URL) has none configured, and the
// checkout's payment URIs name it.
func withChainIDs(ctx context.Context, list []onchain.Chain, nodes ethnode.Nodes) ([]onchain.Chain, error) {
	out := slices.Clone(list)
	for i := range out {
		if out[i].ChainID != 0 {
			continue
		}
		id, err := ethclient.NewClient(nodes[i]).ChainID(ctx)
		if err != nil {
			return nil, fmt.Errorf("chain %s: read the chain id: %w", out[i].Name, err)
		}
		out[i].ChainID = id.Uint64()
	}
	return out, nil
}

func chainNames(cfg config.Config) []string {
	names := make([]string, len(cfg.List))
	for i, ch := range cfg.List {
		names[i] = ch.Name
	}
	return names
}
