package payoutapp

import (
	"context"
	"io/fs"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/rs/zerolog"

	"paysuite/pkg/config/payout"
	"paysuite/pkg/devfund"
	"paysuite/pkg/service"
	"paysuite/pkg/topology"
	"paysuite/pkg/txsender"
)

// Start dials the node and then starts the service's base: the development
// mode is refused on a real chain before a schema, a queue or a development
// account is touched. The caller closes the node.
func Start(ctx context.Context, name string, cfg *payout.Service, migrations fs.FS, log zerolog.Logger) (*txsender.RPCNode, *service.Base, error) {
	node, err := DialNode(ctx, cfg.RPCURL, cfg.CheckDevChain, log)
	if err != nil {
		return nil, nil, err
	}
	base, err := service.Start(ctx, service.Options{
		HTTPAddr: cfg.HTTPAddr, Profiling: cfg.Profiling, DB: cfg.DB, Migrations: migrations,
		Broker: cfg.Broker, Topology: topology.Suite(cfg.Names), Outbox: true,
		Name: name, InternalSecrets: cfg.InternalSecrets(),
	}, log)
	if err != nil {
		node.Close()
		return nil, nil, err
	}
	return node, base, nil
}

// NewSender builds the service's transaction sender, whose progress hooks
// hear and whose failures operators are alerted of.
func NewSender(ctx context.Context, name string, base *service.Base, node txsender.Node, keys txsender.Keys,
	hooks txsender.Hooks, cfg txsender.Config, log zerolog.Logger) (*txsender.Sender, error) {
	alerting := txsender.AlertingHooks{Hooks: hooks, Alerter: txsender.OutboxAlerts{Keys: base.Keys, Service: name}}
	return txsender.New(ctx, base.DB, node, keys, alerting, cfg, log)
}

// CheckSender runs before anything is signed, once the hooks can act on the
// sender: the node must serve the sends' chain (a development chain started
// afresh resets them), and the nonces of the hot wallet and of every address
// with unfinished sends must agree with it, or signing from that address
// stays stopped, alerted and shown by /readyz until an operator repairs them.
func CheckSender(ctx context.Context, base *service.Base, sender *txsender.Sender, hot common.Address) error {
	if err := sender.CheckChain(ctx, hot); err != nil {
		return err
	}
	base.Ops.AddCheck("nonces", sender.Ready)
	return nil
}

// devFundWait bounds the wait for the development funding to be mined.
const devFundWait = 5 * time.Minute

// DevFund tops up the hot wallet from development account 0 in DEV_MODE,
// when cfg asks for it and a token is configured.
func DevFund(ctx context.Context, cfg *payout.Service, base *service.Base, node devfund.Node, hot common.Address, log zerolog.Logger) error {
	if !cfg.DevMode || !cfg.DevFund || len(cfg.Tokens) == 0 {
		return nil
	}
	eth, tok := cfg.DevFunding(cfg.Tokens[0])
	ctx, cancel := context.WithTimeout(ctx, devFundWait)
	defer cancel()
	return devfund.Fund(ctx, base.DB, node, devfund.Funding{Wallet: hot, ETH: eth, Token: cfg.Tokens[0].Address, Tokens: tok}, log)
}
