package config_test

import (
	"strings"
	"testing"
	"time"

	pkgconfig "paysuite/pkg/config"
	"paysuite/pkg/config/configtest"
	"paysuite/services/notifier/internal/config"
)

func TestDevDefaults(t *testing.T) {
	t.Setenv("DEV_MODE", "true")
	cfg, err := pkgconfig.Load[config.Config]()
	if err != nil {
		t.Fatal(err)
	}
	// A fixed whsec_ secret, whose key receivers of the development mode hold.
	if len(cfg.WebhookSecrets) != 1 || string(cfg.WebhookSecrets[0]) != "dev-webhook-secret" ||
		!cfg.Policy.AllowLoopback || cfg.Policy.AllowPrivate {
		t.Fatalf("dev defaults: secrets %q, policy %+v", cfg.WebhookSecrets, cfg.Policy)
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
	const (
		current  = "whsec_Y3VycmVudC13ZWJob29rLWtleS0wMTIzNDU2Nzg5"     // current-webhook-key-0123456789
		previous = "whsec_cHJldmlvdXMtd2ViaG9vay1rZXktMDEyMzQ1Njc4OQ==" // previous-webhook-key-0123456789
	)
	t.Setenv("SIGN_SECRET", "sign-secret")
	t.Setenv("INTERNAL_SECRET", strings.Repeat("i", pkgconfig.MinInternalSecretLen))
	t.Setenv("WEBHOOK_SECRET", current)
	cfg, err := pkgconfig.Load[config.Config]()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.WebhookSecrets) != 1 || string(cfg.WebhookSecrets[0]) != "current-webhook-key-0123456789" {
		t.Fatalf("secrets %q", cfg.WebhookSecrets)
	}
	t.Setenv("WEBHOOK_SECRET_PREVIOUS", previous)
	if cfg, err = pkgconfig.Load[config.Config](); err != nil {
		t.Fatal(err)
	}
	if len(cfg.WebhookSecrets) != 2 || string(cfg.WebhookSecrets[1]) != "previous-webhook-key-0123456789" {
		t.Fatalf("secrets during a rotation %q", cfg.WebhookSecrets)
	}
}

func TestErrorsNameTheVariable(t *testing.T) {
	configtest.ExpectRefusals[config.Config](t, []configtest.Refusal{
		{Env: map[string]string{"SIGN_SECRET": "s", "INTERNAL_SECRET": strings.Repeat("i", 32)}, Want: "WEBHOOK_SECRET: required unless DEV_MODE=true"},
		{Env: map[string]string{"DEV_MODE": "true", "WEBHOOK_SECRET": "whsec_!!"}, Want: "WEBHOOK_SECRET: whsec_ must be followed by"},
		{Env: map[string]string{"DEV_MODE": "true", "WEBHOOK_SECRET": "plain-text-secret"}, Want: "WEBHOOK_SECRET: must be whsec_"},
		{Env: map[string]string{"DEV_MODE": "true", "WEBHOOK_SECRET_PREVIOUS": "plain-text-secret"}, Want: "WEBHOOK_SECRET_PREVIOUS: must be whsec_"},
		{Env: map[string]string{"SIGN_SECRET": "s", "INTERNAL_SECRET": strings.Repeat("i", 32), "WEBHOOK_SECRET": "whsec_c2hvcnQ="},
			Want: "WEBHOOK_SECRET: the key must be at least 24 bytes"},
		{Env: map[string]string{"DEV_MODE": "true", "WEBHOOK_RETRY_SCHEDULE": "5s,soon"}, Want: "WEBHOOK_RETRY_SCHEDULE"},
		{Env: map[string]string{"DEV_MODE": "true", "WEBHOOK_TIMEOUT": "0s"}, Want: "WEBHOOK_TIMEOUT"},
		{Env: map[string]string{"DEV_MODE": "true", "TELEGRAM_BOT_TOKEN": "1:x"}, Want: "TELEGRAM_CHAT_ID"},
		{Env: map[string]string{"DEV_MODE": "true", "TELEGRAM_API_URL": "api.telegram.org"}, Want: "TELEGRAM_API_URL"},
		{Env: map[string]string{"DEV_MODE": "true", "ALERT_DLQ_INTERVAL": "0s"}, Want: "ALERT_DLQ_INTERVAL"},
	})
}
