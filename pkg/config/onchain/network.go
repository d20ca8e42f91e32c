// Package onchain holds the configuration block of the services that work on
// the chain: the chain and the node they reach it through.
package onchain

import (
	"slices"
	"strings"

	"paysuite/pkg/config"
	"paysuite/pkg/tokens"
)

// Network is one chain a service serves and the node it reaches it through.
// It is one block so that a service can later hold a list of them. Services
// embed it, so its fields read as their own (cfg.Chain, cfg.RPCURL).
type Network struct {
	// Chain names the chain in ids, columns and messages (config.CheckChain).
	Chain string `env:"CHAIN" envDefault:"ETH"`
	// RPCURL is the node the service reads (and sends) through;
	// Confirmations is the depth a transfer must reach there to count.
	RPCURL        string `env:"ETH_RPC_URL" envDefault:"http://127.0.0.1:8545"`
	Confirmations uint64 `env:"CONFIRMATIONS" envDefault:"20"`
	// TokenList is TOKENS as written; Tokens is what Validate parsed from it.
	TokenList string      `env:"TOKENS" envDefault:"USDT:0x5FbDB2315678afecb367f032d93F642f64180aa3:6"`
	Tokens    tokens.List `env:"-"`
}

// Validate checks the node's URL, the chain's name, the confirmations and
// the tokens, and fills Tokens.
func (n *Network) Validate() error {
	if !hasScheme(n.RPCURL, "http://", "https://", "ws://", "wss://") {
		return config.VarError("ETH_RPC_URL", "must be an http(s) or ws(s) URL")
	}
	if err := config.CheckChain(n.Chain); err != nil {
		return err
	}
	if n.Confirmations == 0 {
		return config.VarError("CONFIRMATIONS", "must be at least 1")
	}
	list, err := tokens.Parse(n.TokenList)
	if err != nil {
		return config.VarError("TOKENS", "%v", err)
	}
	n.Tokens = list
	return nil
}

func hasScheme(url string, schemes ...string) bool {
	return slices.ContainsFunc(schemes, func(s string) bool { return strings.HasPrefix(url, s) })
}
