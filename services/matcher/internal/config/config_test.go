package config_test

import (
	"strings"
	"testing"

	pkgconfig "paysuite/pkg/config"
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

func TestErrorsNameTheVariable(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"SIGN_SECRET": "s", "INTERNAL_SECRET": strings.Repeat("i", 32)}, "MATCHER_XPUB"},
		{map[string]string{"DEV_MODE": "true", "MATCHER_XPUB": "nonsense"}, "MATCHER_XPUB"},
		{map[string]string{"DEV_MODE": "true", "MATCHER_SHARED_ADDRESS": "0x12"}, "MATCHER_SHARED_ADDRESS"},
		{map[string]string{"DEV_MODE": "true", "MATCHER_OFFSET_DECIMALS": "-1"}, "MATCHER_OFFSET_DECIMALS"},
		{map[string]string{"DEV_MODE": "true", "MATCHER_WORKERS": "0"}, "MATCHER_WORKERS"},
		{map[string]string{"DEV_MODE": "true", "MATCHER_EXPIRY_INTERVAL": "0s"}, "MATCHER_EXPIRY_INTERVAL"},
		{map[string]string{"DEV_MODE": "true", "ETH_RPC_URL": "127.0.0.1:8545"}, "ETH_RPC_URL"},
		{map[string]string{"DEV_MODE": "true", "CONFIRMATIONS": "0"}, "CONFIRMATIONS"},
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
