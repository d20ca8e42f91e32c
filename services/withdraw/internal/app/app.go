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
	"paysuite/pkg/payoutengine"
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

	chains, base, err := payoutapp.Start(ctx, "withdraw", &cfg.Service, store.Migrations(), log)
	if err != nil {
		return err
	}
	defer payoutapp.CloseNodes(chains)
	gdb, mq := base.DB, base.MQ

	sealer := sign.Sealer{Secret: []byte(cfg.SignSecret)}
	m := payoutmetrics.New(base.Ops.Registry(), prometheus.CounterOpts{
		Name: "paysuite_withdrawals_total",
		Help: "Final withdrawal answers written after a transaction was sent, by status (1 success, 0 failed).",
	})
	hooks := &payouts.Hooks{Names: cfg.Names, Sealer: sealer, Keys: base.Keys, Log: log, OnCommit: base.Kick, OnFinal: m.Final}
	// One hot wallet, the same address on every chain; each chain has its
	// own sender (nonces, fees, tracker) and engine (balance and gas checks).
	var engines []*payouts.Engine
	var parts []func(context.Context) error
	for _, ch := range chains {
		sender, err := payoutapp.NewSender(ctx, "withdraw", base, ch, keystore.Only(key), hooks, &cfg.Service)
		if err != nil {
			return err
		}
		if err := payoutapp.CheckSender(ctx, base, ch, sender, hot); err != nil {
			return err
		}
		if err := payoutapp.DevFund(ctx, &cfg.Service, base, ch, hot); err != nil {
			return err
		}
		engines = append(engines, &payouts.Engine{DB: gdb, OnCommit: base.Kick, Base: payoutengine.Base{
			Chain: ch.Name, Native: ch.NativeSymbol, Sender: sender, HotWallet: hot, Names: cfg.Names, Sealer: sealer,
			Keys: base.Keys, MinUSDT: cfg.MinUSDTOn(ch.Tokens), Log: ch.Log,
		}})
		parts = append(parts, sender.Run, func(ctx context.Context) error {
			return m.WatchBalances(ctx, ch.Node, hot, ch.Chain, ch.Log)
		})
		ch.Log.Info().Uint64("confirmations", cfg.SenderOn(ch.Chain).Confirmations).Msg("withdraw serves the chain")
	}

	deposits := &addresses.Book{DB: gdb, Chains: payoutapp.Names(chains), Log: log}
	handler := &requests.Handler{
		Intake: payoutapp.Intake(&cfg.Service, mq, sealer, cfg.Names.WithdrawReturnKey, contract.EventWithdraw, hot, log),
		DB:     gdb, Engines: engines, Deposits: deposits.Contains,
	}
	log.Info().Strs("chains", payoutapp.Names(chains)).Msg("withdraw started")
	parts = append(parts,
		func(ctx context.Context) error {
			return mq.ConsumeBatches(ctx, cfg.Names.WithdrawQueue, cfg.Workers, handler.Handle,
				broker.Batching{Max: withdrawBatch, Handler: handler.HandleBatch})
		},
	)
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
