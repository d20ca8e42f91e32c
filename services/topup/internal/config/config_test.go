package config_test

import (
	"strings"
	"testing"

	pkgconfig "paysuite/pkg/config"
	"paysuite/pkg/config/configtest"
	"paysuite/services/topup/internal/config"
)

func TestNodeDefaults(t *testing.T) {
	t.Setenv("DEV_MODE", "true")
	cfg, err := pkgconfig.Load[config.Config]()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RPCURL != "http://127.0.0.1:8545" || cfg.Confirmations != 20 {
		t.Fatalf("node defaults: %s, %d confirmations", cfg.RPCURL, cfg.Confirmations)
	}
}

func TestErrorsNameTheVariable(t *testing.T) {
	configtest.ExpectRefusals[config.Config](t, []configtest.Refusal{
		{Env: map[string]string{"SIGN_SECRET": "s", "INTERNAL_SECRET": strings.Repeat("i", 32)}, Want: "TOPUP_XPUB"},
		{Env: map[string]string{"DEV_MODE": "true", "ETH_RPC_URL": "127.0.0.1:8545"}, Want: "ETH_RPC_URL"},
		{Env: map[string]string{"DEV_MODE": "true", "CONFIRMATIONS": "0"}, Want: "CONFIRMATIONS"},
		{Env: map[string]string{"DEV_MODE": "true", "TOPUP_WORKERS": "0"}, Want: "TOPUP_WORKERS"},
	})
}
