// Package config holds the pay service's configuration, read from the environment.
package config

import (
	"crypto/ecdsa"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/broker"
	"paysuite/pkg/config"
	"paysuite/pkg/contract"
	"paysuite/pkg/db"
	"paysuite/pkg/hdwallet"
	"paysuite/pkg/keystore"
	"paysuite/pkg/money"
	"paysuite/pkg/tokens"
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

	Schema    string `env:"MYSQL_SCHEMA" envDefault:"paysuite_pay"`
	RPCURL    string `env:"ETH_RPC_URL" envDefault:"http://127.0.0.1:8545"`
	Chain     string `env:"CHAIN" envDefault:"ETH"`
	TokenList string `env:"TOKENS" envDefault:"USDT:0x5FbDB2315678afecb367f032d93F642f64180aa3:6"`
	Workers   int    `env:"PAY_WORKERS" envDefault:"8"`
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

	// In DEV_MODE the hot wallet is topped up from development account 0 at start
	// when it holds less than half of these.
	DevFund       bool   `env:"DEV_FUND_HOT_WALLET" envDefault:"true"`
	DevFundETH    string `env:"DEV_FUND_ETH" envDefault:"100"`
	DevFundTokens string `env:"DEV_FUND_TOKENS" envDefault:"1000000"`

	// HotWalletMinUSDT, when set, raises a low_balance alert whenever a payment
	// from the hot wallet leaves it with less USDT than this.
	HotWalletMinUSDT string `env:"HOT_WALLET_MIN_USDT"`

	// SuiteAddressList names the suite's own wallets this service does not
	// know by itself (withdraw's hot wallet, any other wallet of the suite),
	// comma-separated: they are refused as recipients (invalid_address), as
	// are this service's hot wallet and the suite's deposit addresses.
	SuiteAddressList []string `env:"SUITE_ADDRESSES" envSeparator:","`

	Tokens         tokens.List      `env:"-"`
	SuiteAddresses []common.Address `env:"-"`
	MinUSDT        *big.Int         `env:"-"`
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
	if err := c.Names.Validate(); err != nil {
		return err
	}
	if err := c.Sender.Validate(c.DevMode); err != nil {
		return err
	}
	if !strings.HasPrefix(c.RPCURL, "http://") && !strings.HasPrefix(c.RPCURL, "https://") &&
		!strings.HasPrefix(c.RPCURL, "ws://") && !strings.HasPrefix(c.RPCURL, "wss://") {
		return config.VarError("ETH_RPC_URL", "must be an http(s) or ws(s) URL")
	}
	if err := config.CheckChain(c.Chain); err != nil {
		return err
	}
	list, err := tokens.Parse(c.TokenList)
	if err != nil {
		return config.VarError("TOKENS", "%v", err)
	}
	c.Tokens = list
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
	if _, err := money.Parse(c.DevFundETH, 18); err != nil {
		return config.VarError("DEV_FUND_ETH", "%w", err)
	}
	if _, err := money.Parse(c.DevFundTokens, 36); err != nil {
		return config.VarError("DEV_FUND_TOKENS", "%w", err)
	}
	if c.HotWalletMinUSDT != "" {
		usdt, ok := c.Tokens.BySymbol("USDT")
		if !ok {
			return config.VarError("HOT_WALLET_MIN_USDT", "no USDT in TOKENS")
		}
		d, err := money.Parse(c.HotWalletMinUSDT, usdt.Decimals)
		if err != nil {
			return config.VarError("HOT_WALLET_MIN_USDT", "%w", err)
		}
		c.MinUSDT = money.ToBaseUnits(d, usdt.Decimals)
	}
	c.SuiteAddresses = nil
	for _, a := range c.SuiteAddressList {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		if !contract.ValidAddress(a) {
			return config.VarError("SUITE_ADDRESSES", "%q is not 0x followed by 40 hex digits", a)
		}
		c.SuiteAddresses = append(c.SuiteAddresses, common.HexToAddress(a))
	}
	return nil
}

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

// DevFunding returns the development top-up targets in base units.
func (c *Config) DevFunding(token tokens.Token) (eth, tok *big.Int) {
	e, _ := money.Parse(c.DevFundETH, 18)
	t, _ := money.Parse(c.DevFundTokens, 36)
	return money.ToBaseUnits(e, 18), money.ToBaseUnits(t, token.Decimals)
}
