// Package sending holds the configuration block of the services that send
// from a hot wallet of their own.
package sending

import (
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/config"
	"paysuite/pkg/contract"
	"paysuite/pkg/money"
	"paysuite/pkg/tokens"
)

// HotWallet is the settings of a service that sends from a hot wallet of its
// own (withdraw, pay), other than its key, whose variables name the service.
type HotWallet struct {
	// In DEV_MODE the hot wallet is topped up from development account 0 at start
	// when it holds less than half of these.
	DevFund       bool   `env:"DEV_FUND_HOT_WALLET" envDefault:"true"`
	DevFundETH    string `env:"DEV_FUND_ETH" envDefault:"100"`
	DevFundTokens string `env:"DEV_FUND_TOKENS" envDefault:"1000000"`

	// HotWalletMinUSDT, when set, raises a low_balance alert whenever a send
	// from the hot wallet leaves it with less USDT than this.
	HotWalletMinUSDT string `env:"HOT_WALLET_MIN_USDT"`

	// SuiteAddressList names the suite's own wallets the service does not
	// know by itself (the other service's hot wallet, any other wallet of the
	// suite), comma-separated: they are refused as recipients
	// (invalid_address), as are the service's hot wallet and the suite's
	// deposit addresses.
	SuiteAddressList []string `env:"SUITE_ADDRESSES" envSeparator:","`

	SuiteAddresses []common.Address `env:"-"`
}

// Validate checks the values against the tokens of each chain served (the
// alert threshold in the decimals of every chain's USDT) and fills
// SuiteAddresses.
func (h *HotWallet) Validate(lists ...tokens.List) error {
	if _, err := money.Parse(h.DevFundETH, 18); err != nil {
		return config.VarError("DEV_FUND_ETH", "%w", err)
	}
	if _, err := money.Parse(h.DevFundTokens, 36); err != nil {
		return config.VarError("DEV_FUND_TOKENS", "%w", err)
	}
	if h.HotWalletMinUSDT != "" {
		found := false
		for _, list := range lists {
			usdt, ok := list.BySymbol("USDT")
			if !ok {
				continue
			}
			found = true
			if _, err := money.Parse(h.HotWalletMinUSDT, usdt.Decimals); err != nil {
				return config.VarError("HOT_WALLET_MIN_USDT", "%w", err)
			}
		}
		if !found {
			return config.VarError("HOT_WALLET_MIN_USDT", "no USDT in TOKENS")
		}
	}
	h.SuiteAddresses = nil
	for _, a := range h.SuiteAddressList {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		if !contract.ValidAddress(a) {
			return config.VarError("SUITE_ADDRESSES", "%q is not 0x followed by 40 hex digits", a)
		}
		h.SuiteAddresses = append(h.SuiteAddresses, common.HexToAddress(a))
	}
	return nil
}

// MinUSDTOn is the alert threshold in base units of the USDT of a chain
// serving list; nil when it is not set or the chain has no USDT.
func (h *HotWallet) MinUSDTOn(list tokens.List) *big.Int {
	usdt, ok := list.BySymbol("USDT")
	if h.HotWalletMinUSDT == "" || !ok {
		return nil
	}
	d, err := money.Parse(h.HotWalletMinUSDT, usdt.Decimals)
	if err != nil {
		return nil // refused by Validate
	}
	return money.ToBaseUnits(d, usdt.Decimals)
}

// DevFunding returns the development top-up targets in base units.
func (h *HotWallet) DevFunding(token tokens.Token) (eth, tok *big.Int) {
	e, _ := money.Parse(h.DevFundETH, 18)
	t, _ := money.Parse(h.DevFundTokens, 36)
	return money.ToBaseUnits(e, 18), money.ToBaseUnits(t, token.Decimals)
}
