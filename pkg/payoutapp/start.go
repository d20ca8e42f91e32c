package payoutapp

import (
	"context"
	"errors"
	"io/fs"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/rs/zerolog"

	"paysuite/pkg/config/onchain"
	"paysuite/pkg/config/payout"
	"paysuite/pkg/devfund"
	"paysuite/pkg/service"
	"paysuite/pkg/topology"
	"paysuite/pkg/txsender"
)

// Chain is one chain the service pays out on, with the node it sends
// through. Each chain has a sender, a fee policy and balance checks of its
// own (gas in its native coin), so that a chain that stalls holds back only
// its own payouts.
type Chain struct {
	onchain.Chain
	Node *txsender.RPCNode
	// Log carries the chain's name.
	Log zerolog.Logger
}

// Names are the names of chains, in order.
func Names(chains []*Chain) []string {
	names := make([]string, len(chains))
	for i, ch := range chains {
		names[i] = ch.Name
	}
	return names
}

// CloseNodes closes the nodes of chains.
func CloseNodes(chains []*Chain) {
	for _, ch := range chains {
		ch.Node.Close()
	}
}

// Start dials every chain's node and then starts the service's base: the
// development mode is refused on a real chain, and a node of another chain
// than configured, before a schema, a queue or a development account is
// touched. The caller closes the nodes (CloseNodes).
func Start(ctx context.Context, name string, cfg *payout.Service, migrations fs.FS, log zerolog.Logger) ([]*Chain, *service.Base, error) {
	chains, err := DialChains(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	base, err := service.Start(ctx, service.Options{
		HTTPAddr: cfg.HTTPAddr, Profiling: cfg.Profiling, DB: cfg.DB, Migrations: migrations,
		Broker: cfg.Broker, Topology: topology.Suite(cfg.Names), Outbox: true,
		Name: name, InternalSecrets: cfg.InternalSecrets(),
	}, log)
	if err != nil {
		CloseNodes(chains)
		return nil, nil, err
	}
	return chains, base, nil
}

// DialChains dials the node of every configured chain.
func DialChains(ctx context.Context, cfg *payout.Service, log zerolog.Logger) ([]*Chain, error) {
	chains := make([]*Chain, 0, len(cfg.List))
	for _, ch := range cfg.List {
		chLog := log.With().Str("chain", ch.Name).Logger()
		node, err := DialNode(ctx, ch.RPCURL, func(id uint64) error {
			return errors.Join(cfg.CheckDevChain(id), ch.CheckNode(id))
		}, chLog)
		if err != nil {
			CloseNodes(chains)
			return nil, err
		}
		chains = append(chains, &Chain{Chain: ch, Node: node, Log: chLog})
	}
	return chains, nil
}

// NewSender builds the service's transaction sender on ch, whose progress
// hooks hear and whose failures operators are alerted of.
func NewSender(ctx context.Context, name string, base *service.Base, ch *Chain, keys txsender.Keys,
	hooks txsender.Hooks, cfg *payout.Service) (*txsender.Sender, error) {
	alerting := txsender.AlertingHooks{Hooks: hooks, Alerter: txsender.OutboxAlerts{Keys: base.Keys, Service: name}}
	return txsender.New(ctx, base.DB, ch.Node, keys, alerting, cfg.SenderOn(ch.Chain), ch.Log)
}

// CheckSender runs before anything is signed on ch, once the hooks can act
// on the sender: the node must serve the sends' chain (a development chain
// started afresh resets them), and the nonces of the hot wallet and of every
// address with unfinished sends must agree with it, or signing from that
// address stays stopped, alerted and shown by /readyz (under the chain's
// name when CHAINS lists several) until an operator repairs them.
func CheckSender(ctx context.Context, base *service.Base, ch *Chain, sender *txsender.Sender, hot common.Address) error {
	if ch.ChainID == 0 {
		// The single-chain form: no configured id to check the node against.
		if err := sender.CheckOnlyChain(ctx); err != nil {
			return err
		}
	}
	if err := sender.CheckChain(ctx, hot); err != nil {
		return err
	}
	check := "nonces"
	if ch.ChainID != 0 {
		check += " " + ch.Name
	}
	base.Ops.AddCheck(check, sender.Ready)
	return nil
}

// devFundWait bounds the wait for the development funding to be mined.
const devFundWait = 5 * time.Minute

// DevFund tops up the hot wallet on ch from development account 0 in
// DEV_MODE, when cfg asks for it and a token is configured there: the
// chain's native coin for gas and its first token.
func DevFund(ctx context.Context, cfg *payout.Service, base *service.Base, ch *Chain, hot common.Address) error {
	if !cfg.DevMode || !cfg.DevFund || len(ch.Tokens) == 0 {
		return nil
	}
	eth, tok := cfg.DevFunding(ch.Tokens[0])
	ctx, cancel := context.WithTimeout(ctx, devFundWait)
	defer cancel()
	return devfund.Fund(ctx, base.DB, ch.Node, devfund.Funding{Wallet: hot, ETH: eth, Token: ch.Tokens[0].Address, Tokens: tok}, ch.Log)
}
