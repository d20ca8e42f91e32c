// Package app wires the withdraw service's parts together and runs them until
// the context ends.
package app

import (
	"context"
	"crypto/ecdsa"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"paysuite/pkg/broker"
	"paysuite/pkg/devfund"
	"paysuite/pkg/ethnode"
	"paysuite/pkg/events"
	"paysuite/pkg/keystore"
	"paysuite/pkg/payoutmetrics"
	"paysuite/pkg/service"
	"paysuite/pkg/sign"
	"paysuite/pkg/topology"
	"paysuite/pkg/txsender"
	"paysuite/services/withdraw/internal/addresses"
	"paysuite/services/withdraw/internal/config"
	"paysuite/services/withdraw/internal/payouts"
	"paysuite/services/withdraw/internal/requests"
	"paysuite/services/withdraw/internal/store"
)

// devFundWait bounds the wait for the development funding to be mined.
const devFundWait = 5 * time.Minute

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
		Name: "withdraw", InternalSecrets: cfg.InternalSecrets(),
	}, log)
	if err != nil {
		return err
	}
	gdb, mq := base.DB, base.MQ

	sealer := sign.Sealer{Secret: []byte(cfg.SignSecret)}
	m := payoutmetrics.New(base.Ops.Registry(), prometheus.CounterOpts{
		Name: "paysuite_withdrawals_total",
		Help: "Final withdrawal answers written after a transaction was sent, by status (1 success, 0 failed).",
	})
	hooks := &payouts.Hooks{Names: cfg.Names, Sealer: sealer, Keys: base.Keys, Log: log, OnCommit: base.Kick, OnFinal: m.Final}
	keys := func(_ context.Context, from common.Address) (*ecdsa.PrivateKey, error) {
		if from == hot {
			return key, nil
		}
		return nil, nil
	}
	alerting := txsender.AlertingHooks{Hooks: hooks, Alerter: txsender.OutboxAlerts{Keys: base.Keys, Service: "withdraw"}}
	sender, err := txsender.New(ctx, gdb, node, keys, alerting, cfg.Sender, log)
	if err != nil {
		return err
	}
	// Before anything is signed: the node must serve the sends' chain (a
	// development chain started afresh resets them), and the hot wallet's
	// nonces must agree with it, or signing from it stays stopped, alerted
	// and shown by /readyz until an operator repairs them.
	if err := sender.CheckChain(ctx, hot); err != nil {
		return err
	}
	base.Ops.AddCheck("nonces", sender.Ready)

	if cfg.DevMode && cfg.DevFund && len(cfg.Tokens) > 0 {
		eth, tok := cfg.DevFunding(cfg.Tokens[0])
		fundCtx, cancel := context.WithTimeout(ctx, devFundWait)
		err := devfund.Fund(fundCtx, gdb, node, devfund.Funding{Wallet: hot, ETH: eth, Token: cfg.Tokens[0].Address, Tokens: tok}, log)
		cancel()
		if err != nil {
			return err
		}
	}

	deposits := &addresses.Book{DB: gdb, Chain: cfg.Chain, Log: log}
	engine := &payouts.Engine{
		DB: gdb, Sender: sender, HotWallet: hot, Names: cfg.Names, Sealer: sealer, Keys: base.Keys,
		MinUSDT: cfg.MinUSDT, Log: log, OnCommit: base.Kick,
	}
	handler := &requests.Handler{
		DB: gdb, Engine: engine, Publisher: mq, Names: cfg.Names, Chain: cfg.Chain, Tokens: cfg.Tokens,
		Secrets: cfg.SignSecrets(), MaxClockSkew: cfg.MaxClockSkew, Sealer: sealer,
		SuiteAddresses: cfg.SuiteAddresses, Deposits: deposits.Contains, Log: log,
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
