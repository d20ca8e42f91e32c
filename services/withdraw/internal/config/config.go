// Package config holds the withdraw service's configuration, read from the environment.
package config

import (
	"crypto/ecdsa"

	"paysuite/pkg/config/payout"
	"paysuite/pkg/keystore"
)

// DevHotWalletPath is where the development hot wallet of withdraw is derived
// from the development mnemonic when no key file is configured. Pay has its own
// (…/1): a sending address belongs to one service, because its nonces are handed
// out from that service's database.
const DevHotWalletPath = "m/44'/60'/2'/0/0"

// keyPrefix begins the variables of the hot wallet's key.
const keyPrefix = "WITHDRAW_KEY_"

// Config is everything withdraw reads from the environment.
type Config struct {
	payout.Service

	Schema  string `env:"MYSQL_SCHEMA" envDefault:"paysuite_withdraw"`
	Workers int    `env:"WITHDRAW_WORKERS" envDefault:"8"`

	// The hot wallet's key: a go-ethereum keystore file and its passphrase
	// (prefer the _FILE form: an environment variable is visible to anyone who
	// can read the process's environment).
	KeyFiles keystore.Files `envPrefix:"WITHDRAW_KEY_"`
}

// Validate checks the values and derives the parsed fields.
func (c *Config) Validate() error {
	if err := c.Service.Validate(c.Schema, "WITHDRAW_WORKERS", c.Workers); err != nil {
		return err
	}
	if err := c.KeySource().RequireUnlessDev(c.DevMode); err != nil {
		return err
	}
	return c.HotWallet.Validate(c.TokenLists()...)
}

// KeySource says where the hot wallet's encrypted key is.
func (c *Config) KeySource() keystore.Source { return c.KeyFiles.Source(keyPrefix) }

// HotKey decrypts the hot wallet's key, or derives the development one in
// DEV_MODE when no key file is configured. Errors name the variable to fix.
func (c *Config) HotKey() (*ecdsa.PrivateKey, error) {
	return keystore.HotKey(c.KeySource(), c.DevMode, DevHotWalletPath)
}
