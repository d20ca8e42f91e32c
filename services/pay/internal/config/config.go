// Package config holds the pay service's configuration, read from the environment.
package config

import (
	"crypto/ecdsa"
	"time"

	"paysuite/pkg/config"
	"paysuite/pkg/config/payout"
	"paysuite/pkg/hdwallet"
	"paysuite/pkg/keystore"
)

// DevHotWalletPath is where pay's development hot wallet is derived from the
// development mnemonic when no key file is configured. Withdraw has its own
// (…/0): a sending address belongs to one service, because its nonces are
// handed out from that service's database.
const DevHotWalletPath = "m/44'/60'/2'/0/1"

// The prefixes of the variables of pay's encrypted hot wallet key and seed.
const (
	keyPrefix  = "PAY_KEY_"
	seedPrefix = "PAY_SEED_"
)

// Config is everything pay reads from the environment.
type Config struct {
	payout.Service

	Schema  string `env:"MYSQL_SCHEMA" envDefault:"paysuite_pay"`
	Workers int    `env:"PAY_WORKERS" envDefault:"8"`
	// FundingConfirmations is how deep the ether sent to a user's address for
	// gas must be before its payment is signed; 0 means CONFIRMATIONS. A
	// shallower depth lets a reorganisation remove the funding after the
	// payment was signed, leaving that payment without gas.
	FundingConfirmations uint64 `env:"FUNDING_CONFIRMATIONS" envDefault:"0"`
	fundingSet           bool   // FUNDING_CONFIRMATIONS was set (not 0)

	// Pay's own hot wallet: a go-ethereum keystore file and its passphrase.
	KeyFiles keystore.Files `envPrefix:"PAY_KEY_"`
	// The HD seed of the deposit addresses (the mnemonic whose extended public
	// key at DepositPath topup derives them from), AES-256-GCM encrypted.
	SeedFiles   keystore.Files `envPrefix:"PAY_SEED_"`
	DepositPath string         `env:"PAY_DEPOSIT_PATH" envDefault:"m/44'/60'/1'/0"`

	// ReconcileInterval is how often each chain's deposit addresses are
	// reconciled with the records (0: never; payctl reconcile still does).
	ReconcileInterval time.Duration `env:"RECONCILE_INTERVAL" envDefault:"1h"`

	// Sweeps are the collection settings of each chain, by name (see
	// Sweeping); a chain without them is not swept.
	Sweeps map[string]Sweeping `env:"-"`
}

// Validate checks the values and derives the parsed fields.
func (c *Config) Validate() error {
	if err := c.Service.Validate(c.Schema, "PAY_WORKERS", c.Workers); err != nil {
		return err
	}
	c.fundingSet = c.fundingSet || c.FundingConfirmations != 0
	if !c.fundingSet {
		c.FundingConfirmations = c.Sender.Confirmations
	}
	if err := c.KeyFiles.Source(keyPrefix).RequireUnlessDev(c.DevMode); err != nil {
		return err
	}
	if err := c.SeedFiles.Source(seedPrefix).RequireUnlessDev(c.DevMode); err != nil {
		return err
	}
	if _, err := hdwallet.ParsePath(c.DepositPath); err != nil {
		return config.VarError("PAY_DEPOSIT_PATH", "%w", err)
	}
	if err := c.HotWallet.Validate(c.TokenLists()...); err != nil {
		return err
	}
	if c.ReconcileInterval < 0 || (c.ReconcileInterval > 0 && c.ReconcileInterval < time.Second) {
		return config.VarError("RECONCILE_INTERVAL", "must be 0 (off) or at least 1s")
	}
	c.Sweeps = map[string]Sweeping{}
	for _, ch := range c.List {
		sw, err := readSweeping(ch)
		if err != nil {
			return err
		}
		c.Sweeps[ch.Name] = sw
	}
	return nil
}

// FundingConfirmationsOn is the depth the gas funding must reach on a chain
// whose transfers need confirmations: FUNDING_CONFIRMATIONS when set, else
// the chain's own.
func (c *Config) FundingConfirmationsOn(confirmations uint64) uint64 {
	if c.fundingSet {
		return c.FundingConfirmations
	}
	return confirmations
}

// HotKey decrypts the hot wallet's key, or derives the development one in
// DEV_MODE when no key file is configured. Errors name the variable to fix.
func (c *Config) HotKey() (*ecdsa.PrivateKey, error) {
	return keystore.HotKey(c.KeyFiles.Source(keyPrefix), c.DevMode, DevHotWalletPath)
}

// Seed decrypts the deposit wallets' mnemonic, or returns the development
// one in DEV_MODE when no seed file is configured.
func (c *Config) Seed() (string, error) {
	src := c.SeedFiles.Source(seedPrefix)
	if !src.Configured() {
		if err := src.RequireUnlessDev(c.DevMode); err != nil {
			return "", err
		}
		return hdwallet.DevMnemonic, nil
	}
	return keystore.LoadSeed(src)
}
