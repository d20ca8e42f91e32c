package config_test

import (
	"strings"
	"testing"
	"time"

	pkgconfig "paysuite/pkg/config"
	"paysuite/services/notifier/internal/config"
)

func TestDevDefaults(t *testing.T) {
	t.Setenv("DEV_MODE", "true")
	cfg, err := pkgconfig.Load[config.Config]()
	if err != nil {
		t.Fatal(err)
	}
	if string(cfg.WebhookSecret) != config.DevWebhookSecret || !cfg.Policy.AllowLoopback || cfg.Policy.AllowPrivate {
		t.Fatalf("dev defaults: policy %+v", cfg.Policy)
	}
	var total time.Duration
	for _, d := range cfg.Schedule {
		total += d
	}
	if len(cfg.Schedule) != 10 || total < 60*time.Hour || total > 80*time.Hour {
		t.Fatalf("default schedule %v spans %s, want about three days", cfg.Schedule, total)
	}
}

func TestStandardWebhooksSecret(t *testing.T) {
	t.Setenv("DEV_MODE", "true")
	t.Setenv("WEBHOOK_SECRET", "whsec_c2VjcmV0LWJ5dGVz")
	cfg, err := pkgconfig.Load[config.Config]()
	if err != nil {
		t.Fatal(err)
	}
	if string(cfg.WebhookSecret) != "secret-bytes" {
		t.Fatalf("secret %q", cfg.WebhookSecret)
	}
}

func TestErrorsNameTheVariable(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"SIGN_SECRET": "s"}, "WEBHOOK_SECRET"},
		{map[string]string{"DEV_MODE": "true", "WEBHOOK_SECRET": "whsec_!!"}, "WEBHOOK_SECRET"},
		{map[string]string{"DEV_MODE": "true", "WEBHOOK_RETRY_SCHEDULE": "5s,soon"}, "WEBHOOK_RETRY_SCHEDULE"},
		{map[string]string{"DEV_MODE": "true", "WEBHOOK_TIMEOUT": "0s"}, "WEBHOOK_TIMEOUT"},
		{map[string]string{"DEV_MODE": "true", "TELEGRAM_BOT_TOKEN": "1:x"}, "TELEGRAM_CHAT_ID"},
		{map[string]string{"DEV_MODE": "true", "TELEGRAM_API_URL": "api.telegram.org"}, "TELEGRAM_API_URL"},
		{map[string]string{"DEV_MODE": "true", "ALERT_DLQ_INTERVAL": "0s"}, "ALERT_DLQ_INTERVAL"},
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
