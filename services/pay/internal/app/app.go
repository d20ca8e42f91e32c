// Package app wires the pay service's parts together and runs them until the
// context ends.
package app

import (
	"context"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"paysuite/pkg/broker"
	"paysuite/pkg/devfund"
	"paysuite/pkg/ethnode"
	"paysuite/pkg/events"
	"paysuite/pkg/payoutmetrics"
	"paysuite/pkg/service"
	"paysuite/pkg/sign"
	"paysuite/pkg/topology"
	"paysuite/pkg/txsender"
	"paysuite/services/pay/internal/addresses"
	"paysuite/services/pay/internal/config"
	"paysuite/services/pay/internal/payouts"
	"paysuite/services/pay/internal/requests"
	"paysuite/services/pay/internal/store"
	"paysuite/services/pay/internal/wallets"
)

// devFundWait bounds the wait for the development funding to be mined.
const devFundWait = 5 * time.Minute

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

	// Before anything else: the development mode is refused on a real
	// chain before a schema, a queue or a development account is touched.
	rpcClient, err := ethnode.Dial(ctx, cfg.RPCURL, cfg.CheckDevChain, log)
	if err != nil {
		return err
	}
	node := txsender.NewRPCNode(rpcClient)
	defer node.Close()

	base, err := service.Start(ctx, service.Options{
		HTTPAddr: cfg.HTTPAddr, Profiling: cfg.Profiling, DB: cfg.DB, Migrations: store.Migrations(),
		Broker: cfg.Broker, Topology: topology.Suite(cfg.Names), Outbox: true,
		Name: "pay", InternalSecrets: cfg.InternalSecrets(),
	}, log)
	if err != nil {
		return err
	}
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
	alerting := txsender.AlertingHooks{Hooks: engine, Alerter: txsender.OutboxAlerts{Keys: base.Keys, Service: "pay"}}
	sender, err := txsender.New(ctx, gdb, node, w.Key, alerting, cfg.Sender, log)
	if err != nil {
		return err
	}
	engine.Sender = sender
	// Before anything is signed: the node must serve the sends' chain (a
	// development chain started afresh resets them), and the nonces of the
	// hot wallet and of every address with unfinished sends must agree with
	// it, or signing from that address stays stopped, alerted and shown by
	// /readyz until an operator repairs them.
	if err := sender.CheckChain(ctx, w.Hot()); err != nil {
		return err
	}
	base.Ops.AddCheck("nonces", sender.Ready)

	if cfg.DevMode && cfg.DevFund && len(cfg.Tokens) > 0 {
		eth, tok := cfg.DevFunding(cfg.Tokens[0])
		fundCtx, cancel := context.WithTimeout(ctx, devFundWait)
		err := devfund.Fund(fundCtx, gdb, node, devfund.Funding{Wallet: w.Hot(), ETH: eth, Token: cfg.Tokens[0].Address, Tokens: tok}, log)
		cancel()
		if err != nil {
			return err
		}
	}

	known := &addresses.Handler{DB: gdb, Chain: cfg.Chain, Log: log, Derive: func(i uint32) (common.Address, error) {
		_, addr, err := w.Derive(i)
		return addr, err
	}}
	handler := &requests.Handler{
		DB: gdb, Engine: engine, Sender: sender, Publisher: mq, Names: cfg.Names, Chain: cfg.Chain, Tokens: cfg.Tokens,
		Secrets: cfg.SignSecrets(), MaxClockSkew: cfg.MaxClockSkew, Sealer: sealer, SuiteAddresses: cfg.SuiteAddresses,
		Log: log, OnCommit: base.Kick,
	}
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
