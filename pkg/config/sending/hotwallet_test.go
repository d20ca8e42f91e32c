package sending

import (
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/config"
	"paysuite/pkg/config/onchain"
	"paysuite/pkg/tokens"
)

// sender is a service with a hot wallet: the hot wallet reads the chain's tokens.
type sender struct {
	onchain.Network
	HotWallet
}

func (s *sender) Validate() error {
	if err := s.Network.Validate(); err != nil {
		return err
	}
	return s.HotWallet.Validate(s.Tokens)
}

func TestHotWallet(t *testing.T) {
	suiteA, suiteB := "0x00000000000000000000000000000000000000aA", "0x00000000000000000000000000000000000000bb"
	tests := []struct {
		name    string
		env     map[string]string
		check   func(t *testing.T, s sender)
		wantErr string // the error after "load config: "; empty means success
	}{
		{name: "defaults", env: map[string]string{}, check: func(t *testing.T, s sender) {
			if !s.DevFund || s.MinUSDTOn(s.Tokens) != nil || s.SuiteAddresses != nil {
				t.Errorf("defaults: %+v", s.HotWallet)
			}
			eth, tok := s.DevFunding(tokens.Token{Decimals: 6})
			if eth.Cmp(new(big.Int).Mul(big.NewInt(100), big.NewInt(1e18))) != 0 || tok.Cmp(big.NewInt(1_000_000_000_000)) != 0 {
				t.Errorf("DevFunding = %s wei, %s base units", eth, tok)
			}
		}},
		{name: "alert threshold and suite addresses", env: map[string]string{"HOT_WALLET_MIN_USDT": "12.5", "SUITE_ADDRESSES": suiteA + ", ," + suiteB},
			check: func(t *testing.T, s sender) {
				if m := s.MinUSDTOn(s.Tokens); m == nil || m.Cmp(big.NewInt(12_500_000)) != 0 {
					t.Errorf("MinUSDTOn = %v, want 12500000 base units", m)
				}
				if m := s.MinUSDTOn(mustParse(t, tokens.DevBSCUSDT)); m == nil || m.String() != "12500000000000000000" {
					t.Errorf("MinUSDTOn on BSC = %v, want 12.5 in 18 decimals", m)
				}
				want := []common.Address{common.HexToAddress(suiteA), common.HexToAddress(suiteB)}
				if len(s.SuiteAddresses) != 2 || s.SuiteAddresses[0] != want[0] || s.SuiteAddresses[1] != want[1] {
					t.Errorf("SuiteAddresses = %v, want %v", s.SuiteAddresses, want)
				}
			}},
		{name: "bad ether target", env: map[string]string{"DEV_FUND_ETH": "lots"}, wantErr: "DEV_FUND_ETH: "},
		{name: "bad token target", env: map[string]string{"DEV_FUND_TOKENS": "-"}, wantErr: "DEV_FUND_TOKENS: "},
		{name: "threshold without USDT", env: map[string]string{"HOT_WALLET_MIN_USDT": "1", "TOKENS": "DAI:0x6B175474E89094C44Da98b954EedeAC495271d0F:18"},
			wantErr: "HOT_WALLET_MIN_USDT: no USDT in TOKENS"},
		{name: "threshold finer than USDT", env: map[string]string{"HOT_WALLET_MIN_USDT": "0.0000001"}, wantErr: "HOT_WALLET_MIN_USDT: "},
		{name: "short suite address", env: map[string]string{"SUITE_ADDRESSES": "0x12"}, wantErr: `SUITE_ADDRESSES: "0x12" is not 0x followed by 40 hex digits`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"TOKENS", "DEV_FUND_HOT_WALLET", "DEV_FUND_ETH", "DEV_FUND_TOKENS", "HOT_WALLET_MIN_USDT", "SUITE_ADDRESSES"} {
				t.Setenv(k, tt.env[k]) // empty means the default
			}
			s, err := config.Load[sender]()
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), "load config: "+tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s)
		})
	}
}

func mustParse(t *testing.T, list string) tokens.List {
	t.Helper()
	l, err := tokens.Parse(list)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
