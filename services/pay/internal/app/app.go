// Package app wires the pay service's parts together and runs them until the
// context ends.
package app

import (
	"context"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/payoutapp"
	"paysuite/pkg/payoutmetrics"
	"paysuite/pkg/sign"
	"paysuite/services/pay/internal/addresses"
	"paysuite/services/pay/internal/config"
	"paysuite/services/pay/internal/payouts"
	"paysuite/services/pay/internal/requests"
	"paysuite/services/pay/internal/store"
	"paysuite/services/pay/internal/wallets"
)

// Run starts pay and blocks until ctx is cancelled or a part fails.
func Run(ctx context.Context, cfg config.Config, log zerolog.Logger) error {
	hotKey, err := cfg.HotKey()
	if err != nil {
		return err
	}
	mnemonic, err := cfg.Seed()
	if err != nil {
		return err
	}

	node, base, err := payoutapp.Start(ctx, "pay", &cfg.Service, store.Migrations(), log)
	if err != nil {
		return err
	}
	defer node.Close()
	gdb, mq := base.DB, base.MQ

	w := wallets.New(hotKey, mnemonic, cfg.DepositPath, gdb, cfg.Chain)
	log = log.With().Str("hot_wallet", store.Lower(w.Hot())).Logger()
	sealer := sign.Sealer{Secret: []byte(cfg.SignSecret)}
	engine := &payouts.Engine{
		HotWallet: w.Hot(), Names: cfg.Names, Sealer: sealer, Keys: base.Keys, FundingConfirmations: cfg.FundingConfirmations,
		Confirmations: cfg.Sender.Confirmations, MinUSDT: cfg.MinUSDT, Log: log, OnCommit: base.Kick,
	}
	m := payoutmetrics.New(base.Ops.Registry(), prometheus.CounterOpts{
		Name: "paysuite_payments_total",
		Help: "Final payment answers written, by status (1 success, 0 failed).",
	})
	engine.OnFinal = m.Final
	sender, err := payoutapp.NewSender(ctx, "pay", base, node, w.Key, engine, cfg.Sender, log)
	if err != nil {
		return err
	}
	engine.Sender = sender
	if err := payoutapp.CheckSender(ctx, base, sender, w.Hot()); err != nil {
		return err
	}
	if err := payoutapp.DevFund(ctx, &cfg.Service, base, node, w.Hot(), log); err != nil {
		return err
	}

	known := &addresses.Handler{DB: gdb, Chain: cfg.Chain, Log: log, Derive: func(i uint32) (common.Address, error) {
		_, addr, err := w.Derive(i)
		return addr, err
	}}
	intake := payoutapp.Intake(&cfg.Service, mq, sealer, cfg.Names.PayReturnKey, contract.EventPay, w.Hot(), log)
	intake.OrderIDs = true // a payment is for an order
	handler := &requests.Handler{Intake: intake, DB: gdb, Engine: engine, Sender: sender, OnCommit: base.Kick}
	log.Info().Str("chain", cfg.Chain).Uint64("confirmations", cfg.Sender.Confirmations).Msg("pay started")
	parts := []func(context.Context) error{
		sender.Run,
		func(ctx context.Context) error { return m.WatchBalances(ctx, node, w.Hot(), cfg.Tokens, log) },
		func(ctx context.Context) error {
			return mq.Consume(ctx, cfg.Names.PayQueue, cfg.Workers, handler.Handle)
		},
	}
	// Only what another service of the suite sealed teaches pay an address it
	// would sign for.
	guard := base.Guard()
	for _, queue := range []string{events.AddressQueue(events.OwnerPay), events.AddressListQueue(events.OwnerPay)} {
		parts = append(parts, func(ctx context.Context) error {
			return guard.Consume(ctx, queue, 4, known.Handle, broker.Batching{})
		})
	}
	return base.Run(ctx, parts...)
}
