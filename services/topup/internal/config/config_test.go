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

// TestTwoChains: CHAINS=ETH,BSC serves both development chains, in that
// order, each with its own node and its USDT in its own decimals.
func TestTwoChains(t *testing.T) {
	t.Setenv("DEV_MODE", "true")
	t.Setenv("CHAINS", "ETH,BSC")
	t.Setenv("CHAIN_BSC_RPC_URL", "http://10.0.0.2:8547")
	cfg, err := pkgconfig.Load[config.Config]()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.List) != 2 || cfg.List[0].Name != "ETH" || cfg.List[1].Name != "BSC" {
		t.Fatalf("chains %+v, want ETH then BSC", cfg.List)
	}
	for _, c := range []struct {
		name, url string
		decimals  int32
	}{{"ETH", "http://127.0.0.1:8545", 6}, {"BSC", "http://10.0.0.2:8547", 18}} {
		ch, _ := cfg.ByName(c.name)
		if usdt, ok := ch.Tokens.BySymbol("USDT"); ch.RPCURL != c.url || !ok || usdt.Decimals != c.decimals {
			t.Errorf("%s: %+v, want node %s and USDT with %d decimals", c.name, ch, c.url, c.decimals)
		}
	}
}
