package config_test

import (
	"strings"
	"testing"

	pkgconfig "paysuite/pkg/config"
	"paysuite/services/notifier/internal/config"
	"paysuite/services/notifier/internal/merchant"
)

// TestMerchantSettings: the merchant chat reuses the operators' bot unless
// it has its own; a chat without any bot, a bot without a chat or an unknown
// kind of notice is an error that names the variable.
func TestMerchantSettings(t *testing.T) {
	for _, tc := range []struct {
		name, token, merchantToken, merchantChat, kinds, wantErr, wantToken string
		wantKinds                                                           int
	}{
		{name: "off", wantKinds: len(merchant.AllKinds)},
		{name: "operators' bot", token: "op", merchantChat: "-1", wantToken: "op", wantKinds: len(merchant.AllKinds)},
		{name: "own bot", token: "op", merchantToken: "shop", merchantChat: "-1", kinds: "paid, expired", wantToken: "shop", wantKinds: 2},
		{name: "no bot", merchantChat: "-1", wantErr: "MERCHANT_TELEGRAM_BOT_TOKEN"},
		{name: "no chat", merchantToken: "shop", wantErr: "MERCHANT_TELEGRAM_CHAT_ID"},
		{name: "unknown kind", kinds: "paid,refunded", wantErr: "MERCHANT_NOTICES"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("DEV_MODE", "true")
			t.Setenv("TELEGRAM_BOT_TOKEN", tc.token)
			t.Setenv("TELEGRAM_CHAT_ID", "-9")
			t.Setenv("MERCHANT_TELEGRAM_BOT_TOKEN", tc.merchantToken)
			t.Setenv("MERCHANT_TELEGRAM_CHAT_ID", tc.merchantChat)
			if tc.kinds != "" {
				t.Setenv("MERCHANT_NOTICES", tc.kinds)
			}
			cfg, err := pkgconfig.Load[config.Config]()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.MerchantEnabled() != (tc.merchantChat != "") || cfg.MerchantBotToken() != tc.wantToken && tc.merchantChat != "" ||
				len(cfg.MerchantNotices) != tc.wantKinds {
				t.Fatalf("enabled %v, bot %q, kinds %v", cfg.MerchantEnabled(), cfg.MerchantBotToken(), cfg.MerchantNotices)
			}
		})
	}
}
