// Package config holds the pay service's configuration, read from the environment.
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

// DevHotWalletPath is where pay's development hot wallet is derived from the
// development mnemonic when no key file is configured. Withdraw has its own
// (…/0): a sending address belongs to one service, because its nonces are
// handed out from that service's database.
const DevHotWalletPath = "m/44'/60'/2'/0/1"

// Config is everything pay reads from the environment.
type Config struct {
	config.Common
	DB     db.Config
	Broker broker.Config
	Names  contract.Names
	Sender txsender.Config

	// Network's CONFIRMATIONS is the one Sender reads too.
	onchain.Network
	sending.HotWallet

	Schema  string `env:"MYSQL_SCHEMA" envDefault:"paysuite_pay"`
	Workers int    `env:"PAY_WORKERS" envDefault:"8"`
	// FundingConfirmations is how deep the ether sent to a user's address for
	// gas must be before its payment is signed; 0 means CONFIRMATIONS. A
	// shallower depth lets a reorganisation remove the funding after the
	// payment was signed, leaving that payment without gas.
	FundingConfirmations uint64 `env:"FUNDING_CONFIRMATIONS" envDefault:"0"`

	// Pay's own hot wallet: a go-ethereum keystore file and its passphrase.
	KeyFile           string `env:"PAY_KEY_FILE"`
	KeyPassphrase     string `env:"PAY_KEY_PASSPHRASE"`
	KeyPassphraseFile string `env:"PAY_KEY_PASSPHRASE_FILE"`
	// The HD seed of the deposit addresses (the mnemonic whose extended public
	// key at DepositPath topup derives them from), AES-256-GCM encrypted.
	SeedFile           string `env:"PAY_SEED_FILE"`
	SeedPassphrase     string `env:"PAY_SEED_PASSPHRASE"`
	SeedPassphraseFile string `env:"PAY_SEED_PASSPHRASE_FILE"`
	DepositPath        string `env:"PAY_DEPOSIT_PATH" envDefault:"m/44'/60'/1'/0"`
}

// Validate checks the values and derives the parsed fields.
func (c *Config) Validate() error {
	c.DB.Schema = c.Schema
	if err := config.Validate(c.Common.Validate, c.DB.Validate, c.Broker.Validate, c.Names.Validate,
		c.validateSender, c.Network.Validate); err != nil {
		return err
	}
	if c.Workers < 1 {
		return config.VarError("PAY_WORKERS", "must be at least 1")
	}
	if c.FundingConfirmations == 0 {
		c.FundingConfirmations = c.Sender.Confirmations
	}
	if c.KeyFile == "" && !c.DevMode {
		return config.VarError("PAY_KEY_FILE", "required unless DEV_MODE=true")
	}
	if c.SeedFile == "" && !c.DevMode {
		return config.VarError("PAY_SEED_FILE", "required unless DEV_MODE=true")
	}
	if _, err := hdwallet.ParsePath(c.DepositPath); err != nil {
		return config.VarError("PAY_DEPOSIT_PATH", "%w", err)
	}
	return c.HotWallet.Validate(c.Tokens)
}

// validateSender checks the sender's settings, which depend on the mode.
func (c *Config) validateSender() error { return c.Sender.Validate(c.DevMode) }

// HotKey decrypts the hot wallet's key, or derives the development one in
// DEV_MODE when no key file is configured. Errors name the variable to fix.
func (c *Config) HotKey() (*ecdsa.PrivateKey, error) {
	src := keystore.Source{
		File: c.KeyFile, Passphrase: c.KeyPassphrase, PassphraseFile: c.KeyPassphraseFile,
		FileVar: "PAY_KEY_FILE", PassphraseVar: "PAY_KEY_PASSPHRASE", PassphraseFileVar: "PAY_KEY_PASSPHRASE_FILE",
	}
	if !src.Configured() {
		if !c.DevMode {
			return nil, config.VarError("PAY_KEY_FILE", "required unless DEV_MODE=true")
		}
		key, err := hdwallet.PrivateKeyFromMnemonic(hdwallet.DevMnemonic, DevHotWalletPath)
		if err != nil {
			return nil, config.VarError("PAY_KEY_FILE", "derive the development key: %w", err)
		}
		return key, nil
	}
	return keystore.LoadKey(src)
}

// Seed decrypts the deposit wallets' mnemonic, or returns the development one
// in DEV_MODE when no seed file is configured.
func (c *Config) Seed() (string, error) {
	src := keystore.Source{
		File: c.SeedFile, Passphrase: c.SeedPassphrase, PassphraseFile: c.SeedPassphraseFile,
		FileVar: "PAY_SEED_FILE", PassphraseVar: "PAY_SEED_PASSPHRASE", PassphraseFileVar: "PAY_SEED_PASSPHRASE_FILE",
	}
	if !src.Configured() {
		if !c.DevMode {
			return "", config.VarError("PAY_SEED_FILE", "required unless DEV_MODE=true")
		}
		return hdwallet.DevMnemonic, nil
	}
	return keystore.LoadSeed(src)
}
