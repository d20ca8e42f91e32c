package config_test

import (
	"strings"
	"testing"

	pkgconfig "paysuite/pkg/config"
	"paysuite/pkg/hdwallet"
	"paysuite/services/pay/internal/config"
)

func TestFundingConfirmationsDefault(t *testing.T) {
	t.Setenv("DEV_MODE", "true")
	for _, tc := range []struct {
		confirmations, funding string
		want                   uint64
		wantOn5                uint64 // on a chain of CHAINS with 5 confirmations
	}{{"7", "", 7, 5}, {"7", "2", 2, 2}} {
		t.Setenv("CONFIRMATIONS", tc.confirmations)
		t.Setenv("FUNDING_CONFIRMATIONS", tc.funding)
		cfg, err := pkgconfig.Load[config.Config]()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.FundingConfirmations != tc.want || cfg.Confirmations != 7 || cfg.Sender.Confirmations != 7 {
			t.Errorf("CONFIRMATIONS=%s FUNDING_CONFIRMATIONS=%q: funding %d (want %d), chain %d, sender %d",
				tc.confirmations, tc.funding, cfg.FundingConfirmations, tc.want, cfg.Confirmations, cfg.Sender.Confirmations)
		}
		if got := cfg.FundingConfirmationsOn(5); got != tc.wantOn5 {
			t.Errorf("FUNDING_CONFIRMATIONS=%q: %d on a chain of 5 confirmations, want %d", tc.funding, got, tc.wantOn5)
		}
	}
}

func TestDevSeed(t *testing.T) {
	t.Setenv("DEV_MODE", "true")
	cfg, err := pkgconfig.Load[config.Config]()
	if err != nil {
		t.Fatal(err)
	}
	if seed, err := cfg.Seed(); err != nil || seed != hdwallet.DevMnemonic {
		t.Fatalf("Seed() = %v, want the development mnemonic", err)
	}
	if cfg.DB.Schema != "paysuite_pay" || cfg.DepositPath != "m/44'/60'/1'/0" {
		t.Fatalf("schema %q, deposit path %q", cfg.DB.Schema, cfg.DepositPath)
	}
}

func TestServiceErrors(t *testing.T) {
	t.Setenv("SIGN_SECRET", "s")
	t.Setenv("INTERNAL_SECRET", strings.Repeat("i", 32))
	steps := []struct {
		set, value, want string
	}{
		{"", "", "PAY_KEY_FILE: required unless DEV_MODE=true"},
		{"PAY_KEY_FILE", "/nonexistent/key.json", "PAY_SEED_FILE: required unless DEV_MODE=true"},
		{"PAY_SEED_FILE", "/nonexistent/seed", ""},
		{"PAY_DEPOSIT_PATH", "m/x", "PAY_DEPOSIT_PATH: "},
	}
	for _, s := range steps {
		if s.set != "" {
			t.Setenv(s.set, s.value)
		}
		_, err := pkgconfig.Load[config.Config]()
		if s.want == "" {
			if err != nil {
				t.Errorf("after %s=%s: %v", s.set, s.value, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), s.want) {
			t.Errorf("after %s=%q: error %v, want one containing %q", s.set, s.value, err, s.want)
		}
	}
}
