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
	"paysuite/pkg/payoutengine"
	"paysuite/pkg/payoutmetrics"
	"paysuite/pkg/payoutreturns"
	"paysuite/pkg/sign"
	"paysuite/services/pay/internal/addresses"
	"paysuite/services/pay/internal/config"
	"paysuite/services/pay/internal/payouts"
	"paysuite/services/pay/internal/reconcile"
	"paysuite/services/pay/internal/regas"
	"paysuite/services/pay/internal/requests"
	"paysuite/services/pay/internal/store"
	"paysuite/services/pay/internal/sweeps"
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

	chains, base, err := payoutapp.Start(ctx, "pay", &cfg.Service, store.Migrations(), log)
	if err != nil {
		return err
	}
	defer payoutapp.CloseNodes(chains)
	gdb, mq := base.DB, base.MQ

	w := wallets.New(hotKey, mnemonic, cfg.DepositPath, gdb)
	log = log.With().Str("hot_wallet", store.Lower(w.Hot())).Logger()
	sealer := sign.Sealer{Secret: []byte(cfg.SignSecret)}
	m := payoutmetrics.New(base.Ops.Registry(), prometheus.CounterOpts{
		Name: "paysuite_payments_total",
		Help: "Final payment answers written, by status (1 success, 0 failed).",
	})
	swept := sweeps.NewMetrics(base.Ops.Registry())
	reconciled := reconcile.NewMetrics(base.Ops.Registry())
	// One hot wallet, the same address on every chain; each chain has its
	// own sender (nonces, fees, tracker), engine (balance and gas checks,
	// the gas funding of users' addresses), sweeper and gas keeper, whose
	// sends' hooks the engine and the sweeper are.
	var engines []*payouts.Engine
	var parts []func(context.Context) error
	for _, ch := range chains {
		chCfg := cfg.SenderOn(ch.Chain)
		engine := &payouts.Engine{
			FundingConfirmations: cfg.FundingConfirmationsOn(chCfg.Confirmations), Confirmations: chCfg.Confirmations,
			OnCommit: base.Kick, OnFinal: m.Final, Base: payoutengine.Base{
				Chain: ch.Name, Native: ch.NativeSymbol, HotWallet: w.Hot(), Names: cfg.Names, Sealer: sealer, Keys: base.Keys,
				MinUSDT: cfg.MinUSDTOn(ch.Tokens), Log: ch.Log.With().Str("hot_wallet", store.Lower(w.Hot())).Logger(),
			},
		}
		sweeper := &sweeps.Sweeper{Base: engine.Base, DB: gdb, Settings: cfg.Sweeps[ch.Name], Confirmations: chCfg.Confirmations,
			FundingConfirmations: engine.FundingConfirmations, Metrics: swept, Service: "pay"}
		sender, err := payoutapp.NewSender(ctx, "pay", base, ch, w.Key, hooks{payments: engine, sweeps: sweeper}, &cfg.Service)
		if err != nil {
			return err
		}
		engine.Sender, sweeper.Sender = sender, sender
		keeper := &regas.Keeper{Sender: sender, DB: gdb, HotWallet: w.Hot(), FundingPurposes: []string{payouts.PurposeFund, sweeps.PurposeFund},
			Confirmations: engine.FundingConfirmations, Interval: cfg.Sender.RebroadcastAfter, Log: ch.Log}
		if err := payoutapp.CheckSender(ctx, base, ch, sender, w.Hot()); err != nil {
			return err
		}
		if err := payoutapp.DevFund(ctx, &cfg.Service, base, ch, w.Hot()); err != nil {
			return err
		}
		engines = append(engines, engine)
		parts = append(parts, sender.Run, keeper.Run, func(ctx context.Context) error {
			return m.WatchBalances(ctx, ch.Node, w.Hot(), ch.Chain, ch.Log)
		})
		if cfg.ReconcileInterval > 0 {
			job := &reconcile.Job{Reconciler: &reconcile.Reconciler{Chain: ch.Name, Native: ch.NativeSymbol, Tokens: ch.Tokens,
				Node: ch.Node, ChainID: sender.ChainID().Uint64(), DB: gdb, Confirmations: chCfg.Confirmations},
				Interval: cfg.ReconcileInterval, Metrics: reconciled, Log: ch.Log,
				Alerts: payoutreturns.Queue{Service: "pay", Sealer: sealer, Keys: base.Keys}}
			parts = append(parts, job.Run)
		}
		if sweeper.Settings.On() {
			parts = append(parts, sweeper.Run)
			ch.Log.Info().Str("collection_wallet", store.Lower(sweeper.Settings.Collection)).Dur("interval", sweeper.Settings.Interval).
				Msg("pay sweeps the chain's deposit addresses")
		}
		ch.Log.Info().Uint64("confirmations", chCfg.Confirmations).Msg("pay serves the chain")
	}

	known := &addresses.Handler{DB: gdb, Chains: payoutapp.Names(chains), Log: log, Derive: func(i uint32) (common.Address, error) {
		_, addr, err := w.Derive(i)
		return addr, err
	}}
	intake := payoutapp.Intake(&cfg.Service, mq, sealer, cfg.Names.PayReturnKey, contract.EventPay, w.Hot(), log)
	intake.OrderIDs = true // a payment is for an order
	handler := &requests.Handler{Intake: intake, DB: gdb, Engines: engines, OnCommit: base.Kick}
	log.Info().Strs("chains", payoutapp.Names(chains)).Msg("pay started")
	parts = append(parts,
		func(ctx context.Context) error {
			return mq.Consume(ctx, cfg.Names.PayQueue, cfg.Workers, handler.Handle)
		},
	)
	// Only what another service of the suite sealed teaches pay an address it
	// would sign for, or a deposit its reconciliation counts.
	guard := base.Guard()
	credits := reconcile.Credits{DB: gdb}
	parts = append(parts, func(ctx context.Context) error {
		return base.Guard().Consume(ctx, events.LedgerQueue, 4, credits.Handle, broker.Batching{})
	})
	for _, queue := range []string{events.AddressQueue(events.OwnerPay), events.AddressListQueue(events.OwnerPay)} {
		parts = append(parts, func(ctx context.Context) error {
			return guard.Consume(ctx, queue, 4, known.Handle, broker.Batching{})
		})
	}
	return base.Run(ctx, parts...)
}
