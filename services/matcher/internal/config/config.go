// Package config holds the matcher's configuration, read from the environment.
package config

import (
	"net"
	"net/url"
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

	// Checkout is the HTTP checkout (contract section 8).
	Checkout Checkout

	Keys *hdwallet.XPub `env:"-"`
}

// DevCheckoutURL is the checkout's public URL in DEV_MODE: where `make up`
// publishes it.
const DevCheckoutURL = "http://127.0.0.1:8090"

// Checkout configures the HTTP checkout each replica may serve over the
// matcher's schema.
type Checkout struct {
	// Addr is where the checkout listens; empty: it is off.
	Addr string `env:"CHECKOUT_ADDR"`
	// PublicURL is the base URL payers reach the checkout at: the created
	// return of every open order carries its page there. Defaults to
	// DevCheckoutURL in DEV_MODE when Addr is set; required outside it.
	PublicURL string `env:"CHECKOUT_PUBLIC_URL"`
	// MaxBodyBytes bounds a request body.
	MaxBodyBytes int64 `env:"CHECKOUT_MAX_BODY_BYTES" envDefault:"65536"`
	// RatePerMinute is how many requests a client (remote IP) may make a
	// minute, and at once.
	RatePerMinute int `env:"CHECKOUT_RATE_PER_MINUTE" envDefault:"120"`
	// Listening is told the address the checkout is bound to (tests listen
	// on port 0); optional.
	Listening func(addr string) `env:"-"`
}

// validate checks the checkout's settings; devMode allows the default URL.
func (c *Checkout) validate(devMode bool) error {
	if c.Addr != "" {
		if _, _, err := net.SplitHostPort(c.Addr); err != nil {
			return config.VarError("CHECKOUT_ADDR", "must be host:port: %v", err)
		}
		if c.PublicURL == "" && devMode {
			c.PublicURL = DevCheckoutURL
		}
		if c.PublicURL == "" {
			return config.VarError("CHECKOUT_PUBLIC_URL", "required when CHECKOUT_ADDR is set, unless DEV_MODE=true")
		}
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return config.VarError("CHECKOUT_PUBLIC_URL", "must be an absolute http(s) URL without query or fragment")
		}
		c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	}
	if c.MaxBodyBytes < 1024 {
		return config.VarError("CHECKOUT_MAX_BODY_BYTES", "must be at least 1024")
	}
	if c.RatePerMinute < 1 {
		return config.VarError("CHECKOUT_RATE_PER_MINUTE", "must be at least 1")
	}
	return nil
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
	return c.Checkout.validate(c.DevMode)
}
