package config_test

import (
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"

	pkgconfig "paysuite/pkg/config"
	"paysuite/pkg/config/configtest"
	"paysuite/pkg/hdwallet"
	"paysuite/services/withdraw/internal/config"
)

// The chain's CONFIRMATIONS and the sender's are one variable.
func TestOneConfirmationsForChainAndSender(t *testing.T) {
	t.Setenv("DEV_MODE", "true")
	t.Setenv("CONFIRMATIONS", "5")
	cfg, err := pkgconfig.Load[config.Config]()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Confirmations != 5 || cfg.Sender.Confirmations != 5 {
		t.Fatalf("confirmations: chain %d, sender %d, want 5 and 5", cfg.Confirmations, cfg.Sender.Confirmations)
	}
	if cfg.DB.Schema != "paysuite_withdraw" || cfg.Workers != 8 {
		t.Fatalf("schema %q, workers %d", cfg.DB.Schema, cfg.Workers)
	}
}

func TestDevHotKey(t *testing.T) {
	t.Setenv("DEV_MODE", "true")
	cfg, err := pkgconfig.Load[config.Config]()
	if err != nil {
		t.Fatal(err)
	}
	got, err := cfg.HotKey()
	if err != nil {
		t.Fatal(err)
	}
	want, err := hdwallet.PrivateKeyFromMnemonic(hdwallet.DevMnemonic, config.DevHotWalletPath)
	if err != nil {
		t.Fatal(err)
	}
	if crypto.PubkeyToAddress(got.PublicKey) != crypto.PubkeyToAddress(want.PublicKey) {
		t.Fatalf("development hot wallet %s, want %s", crypto.PubkeyToAddress(got.PublicKey), crypto.PubkeyToAddress(want.PublicKey))
	}
}

func TestServiceErrors(t *testing.T) {
	configtest.ExpectRefusals[config.Config](t, []configtest.Refusal{
		{Env: map[string]string{"SIGN_SECRET": "s", "INTERNAL_SECRET": strings.Repeat("i", 32)}, Want: "WITHDRAW_KEY_FILE: required unless DEV_MODE=true"},
		{Env: map[string]string{"DEV_MODE": "true", "WITHDRAW_WORKERS": "0"}, Want: "WITHDRAW_WORKERS: must be at least 1"},
	})
}
