// Package app wires the withdraw service's parts together and runs them until
// the context ends.
package app

import (
	"context"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/keystore"
	"paysuite/pkg/payoutapp"
	"paysuite/pkg/payoutmetrics"
	"paysuite/pkg/sign"
	"paysuite/services/withdraw/internal/addresses"
	"paysuite/services/withdraw/internal/config"
	"paysuite/services/withdraw/internal/payouts"
	"paysuite/services/withdraw/internal/requests"
	"paysuite/services/withdraw/internal/store"
)

// withdrawBatch is the most withdrawals signed under one lock of the hot
// wallet's nonce; batches form only while every worker is busy.
const withdrawBatch = 20

// Run starts withdraw and blocks until ctx is cancelled or a part fails.
func Run(ctx context.Context, cfg config.Config, log zerolog.Logger) error {
	key, err := cfg.HotKey()
	if err != nil {
		return err
	}
	hot := keystore.Address(key)
	log = log.With().Str("hot_wallet", strings.ToLower(hot.Hex())).Logger()

	node, base, err := payoutapp.Start(ctx, "withdraw", &cfg.Service, store.Migrations(), log)
	if err != nil {
		return err
	}
	defer node.Close()
	gdb, mq := base.DB, base.MQ

	sealer := sign.Sealer{Secret: []byte(cfg.SignSecret)}
	m := payoutmetrics.New(base.Ops.Registry(), prometheus.CounterOpts{
		Name: "paysuite_withdrawals_total",
		Help: "Final withdrawal answers written after a transaction was sent, by status (1 success, 0 failed).",
	})
	hooks := &payouts.Hooks{Names: cfg.Names, Sealer: sealer, Keys: base.Keys, Log: log, OnCommit: base.Kick, OnFinal: m.Final}
	sender, err := payoutapp.NewSender(ctx, "withdraw", base, node, keystore.Only(key), hooks, cfg.Sender, log)
	if err != nil {
		return err
	}
	if err := payoutapp.CheckSender(ctx, base, sender, hot); err != nil {
		return err
	}
	if err := payoutapp.DevFund(ctx, &cfg.Service, base, node, hot, log); err != nil {
		return err
	}

	deposits := &addresses.Book{DB: gdb, Chain: cfg.Chain, Log: log}
	engine := &payouts.Engine{
		DB: gdb, Sender: sender, HotWallet: hot, Names: cfg.Names, Sealer: sealer, Keys: base.Keys,
		MinUSDT: cfg.MinUSDT, Log: log, OnCommit: base.Kick,
	}
	handler := &requests.Handler{
		Intake: payoutapp.Intake(&cfg.Service, mq, sealer, cfg.Names.WithdrawReturnKey, contract.EventWithdraw, hot, log),
		DB:     gdb, Engine: engine, Deposits: deposits.Contains,
	}
	log.Info().Str("chain", cfg.Chain).Uint64("confirmations", cfg.Sender.Confirmations).Msg("withdraw started")
	parts := []func(context.Context) error{
		sender.Run,
		func(ctx context.Context) error { return m.WatchBalances(ctx, node, hot, cfg.Tokens, log) },
		func(ctx context.Context) error {
			return mq.ConsumeBatches(ctx, cfg.Names.WithdrawQueue, cfg.Workers, handler.Handle,
				broker.Batching{Max: withdrawBatch, Handler: handler.HandleBatch})
		},
	}
	// The deposit addresses withdraw refuses to pay into, learned only from
	// what another service of the suite sealed.
	guard := base.Guard()
	for _, queue := range []string{events.AddressQueue(addresses.Owner), events.AddressListQueue(addresses.Owner)} {
		parts = append(parts, func(ctx context.Context) error {
			return guard.Consume(ctx, queue, 4, deposits.Handle, broker.Batching{})
		})
	}
	return base.Run(ctx, parts...)
}
