package config_test

import (
	"strings"
	"testing"

	pkgconfig "paysuite/pkg/config"
	"paysuite/pkg/config/configtest"
	"paysuite/pkg/hdwallet"
	"paysuite/services/matcher/internal/config"
)

func TestDevDefaults(t *testing.T) {
	t.Setenv("DEV_MODE", "true")
	cfg, err := pkgconfig.Load[config.Config]()
	if err != nil {
		t.Fatal(err)
	}
	xpub, err := hdwallet.XPubFromMnemonic(hdwallet.DevMnemonic, config.DevOrderPath)
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := hdwallet.ParseXPub(xpub)
	zero, _ := keys.Address(0)
	if cfg.XPub != xpub || cfg.SharedAddress != strings.ToLower(zero.Hex()) {
		t.Fatalf("dev defaults: xpub %s shared %s", cfg.XPub, cfg.SharedAddress)
	}
	if cfg.OffsetDecimals != 2 || cfg.SignSecret != pkgconfig.DevSecret {
		t.Fatalf("defaults: %+v", cfg)
	}
}

// TestChains: CHAINS lists the chains orders are payable on; the shared
// address serves all of them.
func TestChains(t *testing.T) {
	t.Setenv("DEV_MODE", "true")
	t.Setenv("CHAINS", "ETH,BSC")
	cfg, err := pkgconfig.Load[config.Config]()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.List) != 2 || cfg.List[0].Name != "ETH" || cfg.List[1].Name != "BSC" || cfg.SharedAddress == "" {
		t.Fatalf("chains %+v, shared address %q", cfg.List, cfg.SharedAddress)
	}
}

func TestErrorsNameTheVariable(t *testing.T) {
	configtest.ExpectRefusals[config.Config](t, []configtest.Refusal{
		{Env: map[string]string{"SIGN_SECRET": "s", "INTERNAL_SECRET": strings.Repeat("i", 32)}, Want: "MATCHER_XPUB"},
		{Env: map[string]string{"DEV_MODE": "true", "MATCHER_XPUB": "nonsense"}, Want: "MATCHER_XPUB"},
		{Env: map[string]string{"DEV_MODE": "true", "MATCHER_SHARED_ADDRESS": "0x12"}, Want: "MATCHER_SHARED_ADDRESS"},
		{Env: map[string]string{"DEV_MODE": "true", "MATCHER_OFFSET_DECIMALS": "-1"}, Want: "MATCHER_OFFSET_DECIMALS"},
		{Env: map[string]string{"DEV_MODE": "true", "MATCHER_WORKERS": "0"}, Want: "MATCHER_WORKERS"},
		{Env: map[string]string{"DEV_MODE": "true", "MATCHER_EXPIRY_INTERVAL": "0s"}, Want: "MATCHER_EXPIRY_INTERVAL"},
		{Env: map[string]string{"DEV_MODE": "true", "ETH_RPC_URL": "127.0.0.1:8545"}, Want: "ETH_RPC_URL"},
		{Env: map[string]string{"DEV_MODE": "true", "CONFIRMATIONS": "0"}, Want: "CONFIRMATIONS"},
		{Env: map[string]string{"DEV_MODE": "true", "CHAINS": "ETH,BSC", "CHAIN_BSC_FINALITY": "safe"}, Want: "CHAIN_BSC_FINALITY"},
	})
}
