// Package config holds the topup service's configuration, read from the environment.
package config

import (
	"paysuite/pkg/broker"
	"paysuite/pkg/config"
	"paysuite/pkg/config/onchain"
	"paysuite/pkg/contract"
	"paysuite/pkg/db"
	"paysuite/pkg/hdwallet"
)

// Config is everything topup reads from the environment.
type Config struct {
	config.Common
	DB     db.Config
	Broker broker.Config
	Names  contract.Names
	// Chains are the chains topup allocates and watches addresses on: CHAINS,
	// or the one chain of CHAIN, ETH_RPC_URL, CONFIRMATIONS and TOKENS.
	onchain.Chains

	Schema string `env:"MYSQL_SCHEMA" envDefault:"paysuite_topup"`
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

	Keys *hdwallet.XPub `env:"-"`
}

// Validate checks the values and derives the parsed fields.
func (c *Config) Validate() error {
	c.DB.Schema = c.Schema
	if err := config.Validate(c.Common.Validate, c.DB.Validate, c.Broker.Validate, c.Chains.Validate); err != nil {
		return err
	}
	var err error
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
