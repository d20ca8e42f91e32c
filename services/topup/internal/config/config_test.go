package config_test

import (
	"strings"
	"testing"

	pkgconfig "paysuite/pkg/config"
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
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"SIGN_SECRET": "s", "INTERNAL_SECRET": strings.Repeat("i", 32)}, "TOPUP_XPUB"},
		{map[string]string{"DEV_MODE": "true", "ETH_RPC_URL": "127.0.0.1:8545"}, "ETH_RPC_URL"},
		{map[string]string{"DEV_MODE": "true", "CONFIRMATIONS": "0"}, "CONFIRMATIONS"},
		{map[string]string{"DEV_MODE": "true", "TOPUP_WORKERS": "0"}, "TOPUP_WORKERS"},
	} {
		for k, v := range tc.env {
			t.Setenv(k, v)
		}
		_, err := pkgconfig.Load[config.Config]()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one naming %s", tc.env, err, tc.want)
		}
		for k := range tc.env {
			t.Setenv(k, "")
		}
	}
}
