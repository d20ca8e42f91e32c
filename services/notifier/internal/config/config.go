// Package config holds the notifier's configuration, read from the environment.
package config

import (
	"encoding/base64"
	"net/url"
	"strings"
	"time"

	"paysuite/pkg/broker"
	"paysuite/pkg/config"
	"paysuite/pkg/contract"
	"paysuite/pkg/db"
	"paysuite/services/notifier/internal/merchant"
	"paysuite/services/notifier/internal/webhook"
)

// DevWebhookSecret is the webhook signing secret of the development mode,
// written as Standard Webhooks writes secrets: its key is the bytes of
// "dev-webhook-secret".
const DevWebhookSecret = "whsec_ZGV2LXdlYmhvb2stc2VjcmV0"

// MinWebhookKeyLen is the shortest webhook key accepted outside the
// development mode: the Standard Webhooks specification asks for keys of 24
// to 64 bytes.
const MinWebhookKeyLen = 24

// Config is everything the notifier reads from the environment.
type Config struct {
	config.Common
	DB     db.Config
	Broker broker.Config
	Names  contract.Names

	Schema string `env:"MYSQL_SCHEMA" envDefault:"paysuite_notifier"`

	// WebhookSecretText signs the webhooks, written as Standard Webhooks
	// writes secrets: "whsec_" and the base64 of the key. Never logged.
	WebhookSecretText string `env:"WEBHOOK_SECRET"`
	// WebhookSecretPreviousText, set during a rotation, signs every webhook
	// too, so receivers can move to the new secret at their own pace.
	WebhookSecretPreviousText string        `env:"WEBHOOK_SECRET_PREVIOUS"`
	RetrySchedule             string        `env:"WEBHOOK_RETRY_SCHEDULE" envDefault:"5s,30s,2m,10m,1h,3h,6h,12h,24h,24h"`
	Timeout                   time.Duration `env:"WEBHOOK_TIMEOUT" envDefault:"10s"`
	Workers                   int           `env:"WEBHOOK_WORKERS" envDefault:"16"`
	HostConcurrency           int           `env:"WEBHOOK_HOST_CONCURRENCY" envDefault:"4"`
	PollInterval              time.Duration `env:"WEBHOOK_POLL_INTERVAL" envDefault:"500ms"`
	// AllowPrivate lets webhooks reach private, loopback and link-local
	// addresses; in development mode loopback is allowed anyway.
	AllowPrivate bool `env:"WEBHOOK_ALLOW_PRIVATE" envDefault:"false"`

	TelegramAPIURL string `env:"TELEGRAM_API_URL" envDefault:"https://api.telegram.org"`
	// TelegramToken enables the operator alerts; never logged.
	TelegramToken    string        `env:"TELEGRAM_BOT_TOKEN"`
	TelegramChatID   string        `env:"TELEGRAM_CHAT_ID"`
	DLQInterval      time.Duration `env:"ALERT_DLQ_INTERVAL" envDefault:"1m"`
	AlertMinInterval time.Duration `env:"ALERT_MIN_INTERVAL" envDefault:"10m"`

	// Merchant notices (package merchant) are on when
	// MERCHANT_TELEGRAM_CHAT_ID is set; the bot is the operators' one unless
	// MERCHANT_TELEGRAM_BOT_TOKEN names another (never logged).
	MerchantTelegramToken  string        `env:"MERCHANT_TELEGRAM_BOT_TOKEN"`
	MerchantTelegramChatID string        `env:"MERCHANT_TELEGRAM_CHAT_ID"`
	MerchantNoticesText    string        `env:"MERCHANT_NOTICES" envDefault:"all"`
	MerchantMinInterval    time.Duration `env:"MERCHANT_MIN_INTERVAL" envDefault:"3s"`
	// MerchantNotices are the kinds of notices MERCHANT_NOTICES asks for.
	MerchantNotices map[merchant.Kind]bool `env:"-"`

	// WebhookSecrets are the keys that sign every webhook, the current one
	// first.
	WebhookSecrets [][]byte        `env:"-"`
	Schedule       []time.Duration `env:"-"`
	Policy         webhook.Policy  `env:"-"`
}

// Validate checks the values and derives the parsed fields.
func (c *Config) Validate() error {
	c.DB.Schema = c.Schema
	if err := config.Validate(c.Common.Validate, c.DB.Validate, c.Broker.Validate, c.Names.Validate); err != nil {
		return err
	}
	if c.WebhookSecretText == "" {
		if !c.DevMode {
			return config.VarError("WEBHOOK_SECRET", "required unless DEV_MODE=true")
		}
		c.WebhookSecretText = DevWebhookSecret
	}
	if err := c.webhookSecrets(); err != nil {
		return err
	}
	var err error
	if c.Schedule, err = ParseSchedule(c.RetrySchedule); err != nil {
		return config.VarError("WEBHOOK_RETRY_SCHEDULE", "%v", err)
	}
	if c.Timeout <= 0 {
		return config.VarError("WEBHOOK_TIMEOUT", "must be positive")
	}
	if c.Workers < 1 {
		return config.VarError("WEBHOOK_WORKERS", "must be at least 1")
	}
	if c.HostConcurrency < 1 {
		return config.VarError("WEBHOOK_HOST_CONCURRENCY", "must be at least 1")
	}
	if c.PollInterval <= 0 {
		return config.VarError("WEBHOOK_POLL_INTERVAL", "must be positive")
	}
	c.Policy = webhook.Policy{AllowPrivate: c.AllowPrivate, AllowLoopback: c.DevMode}
	if u, err := url.Parse(c.TelegramAPIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return config.VarError("TELEGRAM_API_URL", "must be an absolute http(s) URL")
	}
	if c.TelegramToken != "" && c.TelegramChatID == "" {
		return config.VarError("TELEGRAM_CHAT_ID", "required when TELEGRAM_BOT_TOKEN is set")
	}
	if c.DLQInterval <= 0 {
		return config.VarError("ALERT_DLQ_INTERVAL", "must be positive")
	}
	if c.AlertMinInterval <= 0 {
		return config.VarError("ALERT_MIN_INTERVAL", "must be positive")
	}
	return c.merchant()
}

// merchant checks the settings of the merchant notices.
func (c *Config) merchant() error {
	var err error
	if c.MerchantNotices, err = merchant.ParseKinds(c.MerchantNoticesText); err != nil {
		return config.VarError("MERCHANT_NOTICES", "%v", err)
	}
	if c.MerchantMinInterval <= 0 {
		return config.VarError("MERCHANT_MIN_INTERVAL", "must be positive")
	}
	if c.MerchantTelegramToken != "" && c.MerchantTelegramChatID == "" {
		return config.VarError("MERCHANT_TELEGRAM_CHAT_ID", "required when MERCHANT_TELEGRAM_BOT_TOKEN is set")
	}
	if c.MerchantTelegramChatID != "" && c.MerchantBotToken() == "" {
		return config.VarError("MERCHANT_TELEGRAM_BOT_TOKEN", "required when MERCHANT_TELEGRAM_CHAT_ID is set and TELEGRAM_BOT_TOKEN is not")
	}
	return nil
}

// MerchantBotToken is the bot that sends the merchant notices: its own, or
// the operators'.
func (c *Config) MerchantBotToken() string {
	if c.MerchantTelegramToken != "" {
		return c.MerchantTelegramToken
	}
	return c.TelegramToken
}

// MerchantEnabled reports whether merchant notices are sent.
func (c *Config) MerchantEnabled() bool { return c.MerchantTelegramChatID != "" }

// webhookSecrets reads WEBHOOK_SECRET and WEBHOOK_SECRET_PREVIOUS.
func (c *Config) webhookSecrets() error {
	c.WebhookSecrets = nil
	for _, v := range []struct{ name, text string }{
		{"WEBHOOK_SECRET", c.WebhookSecretText},
		{"WEBHOOK_SECRET_PREVIOUS", c.WebhookSecretPreviousText},
	} {
		if v.text == "" {
			continue
		}
		key, err := webhook.ParseSecret(v.text)
		if err != nil {
			return config.VarError(v.name, "%v", err)
		}
		if !c.DevMode && len(key) < MinWebhookKeyLen {
			return config.VarError(v.name, "the key must be at least %d bytes (whsec_ and %d base64 characters)",
				MinWebhookKeyLen, base64.StdEncoding.EncodedLen(MinWebhookKeyLen))
		}
		c.WebhookSecrets = append(c.WebhookSecrets, key)
	}
	return nil
}

// ParseSchedule reads a comma-separated list of positive durations.
func ParseSchedule(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		d, err := time.ParseDuration(part)
		if err != nil || d <= 0 {
			return nil, &scheduleError{part}
		}
		out = append(out, d)
	}
	return out, nil
}

type scheduleError struct{ part string }

func (e *scheduleError) Error() string {
	return "\"" + e.part + "\" is not a positive duration (like 5s, 2m, 1h)"
}
