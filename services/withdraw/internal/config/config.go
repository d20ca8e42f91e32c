// Package config holds the withdraw service's configuration, read from the environment.
package config

import (
	"crypto/ecdsa"

	"paysuite/pkg/broker"
	"paysuite/pkg/config"
	"paysuite/pkg/config/onchain"
	"paysuite/pkg/config/sending"
	"paysuite/pkg/contract"
	"paysuite/pkg/db"
	"paysuite/pkg/hdwallet"
	"paysuite/pkg/keystore"
	"paysuite/pkg/txsender"
)

// DevHotWalletPath is where the development hot wallet of withdraw is derived
// from the development mnemonic when no key file is configured. Pay has its own
// (…/1): a sending address belongs to one service, because its nonces are handed
// out from that service's database.
const DevHotWalletPath = "m/44'/60'/2'/0/0"

// Config is everything withdraw reads from the environment.
type Config struct {
	config.Common
	DB     db.Config
	Broker broker.Config
	Names  contract.Names
	Sender txsender.Config

	// Network's CONFIRMATIONS is the one Sender reads too.
	onchain.Network
	sending.HotWallet

	Schema  string `env:"MYSQL_SCHEMA" envDefault:"paysuite_withdraw"`
	Workers int    `env:"WITHDRAW_WORKERS" envDefault:"8"`

	// The hot wallet's key: a go-ethereum keystore file and its passphrase
	// (prefer the _FILE form: an environment variable is visible to anyone who
	// can read the process's environment).
	KeyFile           string `env:"WITHDRAW_KEY_FILE"`
	KeyPassphrase     string `env:"WITHDRAW_KEY_PASSPHRASE"`
	KeyPassphraseFile string `env:"WITHDRAW_KEY_PASSPHRASE_FILE"`
}

// Validate checks the values and derives the parsed fields.
func (c *Config) Validate() error {
	c.DB.Schema = c.Schema
	if err := config.Validate(c.Common.Validate, c.DB.Validate, c.Broker.Validate, c.Names.Validate,
		c.validateSender, c.Network.Validate); err != nil {
		return err
	}
	if c.Workers < 1 {
		return config.VarError("WITHDRAW_WORKERS", "must be at least 1")
	}
	if c.KeyFile == "" && !c.DevMode {
		return config.VarError("WITHDRAW_KEY_FILE", "required unless DEV_MODE=true")
	}
	return c.HotWallet.Validate(c.Tokens)
}

// KeySource says where the hot wallet's encrypted key is.
func (c *Config) KeySource() keystore.Source {
	return keystore.Source{
		File: c.KeyFile, Passphrase: c.KeyPassphrase, PassphraseFile: c.KeyPassphraseFile,
		FileVar: "WITHDRAW_KEY_FILE", PassphraseVar: "WITHDRAW_KEY_PASSPHRASE", PassphraseFileVar: "WITHDRAW_KEY_PASSPHRASE_FILE",
	}
}

// validateSender checks the sender's settings, which depend on the mode.
func (c *Config) validateSender() error { return c.Sender.Validate(c.DevMode) }

// HotKey decrypts the hot wallet's key, or derives the development one in
// DEV_MODE when no key file is configured. Errors name the variable to fix.
func (c *Config) HotKey() (*ecdsa.PrivateKey, error) {
	src := c.KeySource()
	if !src.Configured() {
		if !c.DevMode {
			return nil, config.VarError("WITHDRAW_KEY_FILE", "required unless DEV_MODE=true")
		}
		key, err := hdwallet.PrivateKeyFromMnemonic(hdwallet.DevMnemonic, DevHotWalletPath)
		if err != nil {
			return nil, config.VarError("WITHDRAW_KEY_FILE", "derive the development key: %w", err)
		}
		return key, nil
	}
	return keystore.LoadKey(src)
}
