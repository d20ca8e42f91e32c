// Package config holds the matcher's configuration, read from the environment.
package config

import (
	"strings"
	"time"

	"paysuite/pkg/broker"
	"paysuite/pkg/config"
	"paysuite/pkg/config/onchain"
	"paysuite/pkg/contract"
	"paysuite/pkg/db"
	"paysuite/pkg/hdwallet"
)

// DevOrderPath is the account-level path whose extended public key the
// development matcher derives order addresses from; distinct from the funded
// accounts (0') and topup's deposit addresses (1').
const DevOrderPath = "m/44'/60'/3'/0"

// Config is everything the matcher reads from the environment.
type Config struct {
	config.Common
	DB     db.Config
	Broker broker.Config
	Names  contract.Names
	// Chains are the chains orders are payable on (CHAINS, or the one chain
	// of CHAIN and ETH_RPC_URL).
	onchain.Chains

	Schema string `env:"MYSQL_SCHEMA" envDefault:"paysuite_matcher"`
	// XPub is the extended public key order addresses are derived from; the
	// matcher never sees a private key. Index 0 is reserved for the shared address.
	XPub string `env:"MATCHER_XPUB"`
	// SharedAddress receives the payments of orders in amount mode, on every
	// chain; empty means index 0 of XPub.
	SharedAddress string `env:"MATCHER_SHARED_ADDRESS"`
	// OffsetDecimals sets the step of the amount-mode offset: 10^-OffsetDecimals
	// tokens, never finer than the token's smallest unit.
	OffsetDecimals int32 `env:"MATCHER_OFFSET_DECIMALS" envDefault:"2"`
	// MaxOffsetSteps bounds the offset search: an order is refused when this many
	// payable amounts above its amount are all taken by open orders.
	MaxOffsetSteps int           `env:"MATCHER_MAX_OFFSET_STEPS" envDefault:"100000"`
	Workers        int           `env:"MATCHER_WORKERS" envDefault:"8"`
	ExpiryInterval time.Duration `env:"MATCHER_EXPIRY_INTERVAL" envDefault:"1s"`
	ExpiryBatch    int           `env:"MATCHER_EXPIRY_BATCH" envDefault:"200"`

	Keys *hdwallet.XPub `env:"-"`
}

// Validate checks the values and derives the parsed fields.
func (c *Config) Validate() error {
	c.DB.Schema = c.Schema
	if err := config.Validate(c.Common.Validate, c.DB.Validate, c.Broker.Validate, c.Names.Validate, c.Chains.Validate); err != nil {
		return err
	}
	var err error
	if c.XPub == "" {
		if !c.DevMode {
			return config.VarError("MATCHER_XPUB", "required unless DEV_MODE=true")
		}
		if c.XPub, err = hdwallet.XPubFromMnemonic(hdwallet.DevMnemonic, DevOrderPath); err != nil {
			return config.VarError("MATCHER_XPUB", "derive the development key: %v", err)
		}
	}
	if c.Keys, err = hdwallet.ParseXPub(c.XPub); err != nil {
		return config.VarError("MATCHER_XPUB", "not an extended public key: %v", err)
	}
	if c.SharedAddress == "" {
		addr, err := c.Keys.Address(0)
		if err != nil {
			return config.VarError("MATCHER_XPUB", "derive the shared address (index 0): %v", err)
		}
		c.SharedAddress = addr.Hex()
	}
	if !contract.ValidAddress(c.SharedAddress) {
		return config.VarError("MATCHER_SHARED_ADDRESS", "must be 0x followed by 40 hex digits")
	}
	c.SharedAddress = strings.ToLower(c.SharedAddress)
	if c.OffsetDecimals < 0 || c.OffsetDecimals > 36 {
		return config.VarError("MATCHER_OFFSET_DECIMALS", "must be 0..36, got %d", c.OffsetDecimals)
	}
	if c.MaxOffsetSteps < 1 {
		return config.VarError("MATCHER_MAX_OFFSET_STEPS", "must be at least 1")
	}
	if c.Workers < 1 {
		return config.VarError("MATCHER_WORKERS", "must be at least 1")
	}
	if c.ExpiryInterval <= 0 {
		return config.VarError("MATCHER_EXPIRY_INTERVAL", "must be positive")
	}
	if c.ExpiryBatch < 1 {
		return config.VarError("MATCHER_EXPIRY_BATCH", "must be at least 1")
	}
	return nil
}
