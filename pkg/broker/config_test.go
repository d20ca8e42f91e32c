package broker

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/caarlos0/env/v11"
)

func TestConfigFromEnv(t *testing.T) {
	// Defaults must hold whatever the machine's environment says.
	for _, k := range []string{"AMQP_URL", "AMQP_PREFETCH", "AMQP_DEAD_QUEUE"} {
		t.Setenv(k, "")
		if err := os.Unsetenv(k); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("AMQP_QUEUE_TYPE", "quorum")
	t.Setenv("AMQP_REQUEUE_DELAY", "250ms")
	t.Setenv("AMQP_CONNECTION_NAME", "topup")
	cfg, err := env.ParseAs[Config]()
	if err != nil {
		t.Fatalf("parse env: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	want := Config{
		URL:             "amqp://guest:guest@127.0.0.1:5672/",
		QueueType:       "quorum",
		Prefetch:        64,
		DeadQueue:       "pay.dead.queue",
		Name:            "topup",
		RequeueDelay:    250 * time.Millisecond,
		MaxMessageBytes: 64 << 10,
		RetryBackoffMax: 30 * time.Second,
		MaxAttempts:     10,
	}
	if cfg != want {
		t.Fatalf("cfg = %+v, want %+v", cfg, want)
	}
}

func TestConfigValidate(t *testing.T) {
	valid := Config{URL: "amqp://guest:guest@127.0.0.1:5672/", QueueType: "classic", Prefetch: 64, DeadQueue: "pay.dead.queue",
		RequeueDelay: time.Second, MaxMessageBytes: 64 << 10, RetryBackoffMax: 30 * time.Second, MaxAttempts: 10}
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{name: "valid classic", mutate: func(*Config) {}},
		{name: "valid quorum", mutate: func(c *Config) { c.QueueType = "quorum" }},
		{name: "empty url", mutate: func(c *Config) { c.URL = "" }, wantErr: "AMQP_URL"},
		{name: "bad url", mutate: func(c *Config) { c.URL = "http://secret@host" }, wantErr: "AMQP_URL"},
		{name: "bad queue type", mutate: func(c *Config) { c.QueueType = "stream" }, wantErr: "AMQP_QUEUE_TYPE: must be classic or quorum"},
		{name: "three nodes", mutate: func(c *Config) {
			c.URL = "amqp://u:secret@h1:5681/vh,amqp://u:secret@h2:5682/vh,amqps://u:secret@h3:5683/vh"
		}},
		{name: "internal list", mutate: func(c *Config) {
			c.URL, c.InternalURL = "amqp://u:secret@h1/vh", "amqp://u:secret@h1/in,amqp://u:secret@h2/in"
		}},
		{name: "only commas", mutate: func(c *Config) { c.URL = ",," }, wantErr: "AMQP_URL: must not be empty"},
		{name: "second address bad", mutate: func(c *Config) { c.URL = "amqp://u:secret@h1/vh,http://u:secret@h2/vh" },
			wantErr: "AMQP_URL: address 2 of 2 is not a valid amqp:// or amqps:// URL"},
		{name: "internal third address bad", mutate: func(c *Config) {
			c.URL, c.InternalURL = "amqp://u:secret@h1/vh", "amqp://u:secret@h1/in,amqp://u:secret@h2/in,amqp://u:secret@h3:port/in"
		}, wantErr: "AMQP_INTERNAL_URL: address 3 of 3"},
		{name: "zero prefetch", mutate: func(c *Config) { c.Prefetch = 0 }, wantErr: "AMQP_PREFETCH"},
		{name: "empty dead queue", mutate: func(c *Config) { c.DeadQueue = " " }, wantErr: "AMQP_DEAD_QUEUE"},
		{name: "negative requeue delay", mutate: func(c *Config) { c.RequeueDelay = -time.Second }, wantErr: "AMQP_REQUEUE_DELAY"},
		{name: "no message size", mutate: func(c *Config) { c.MaxMessageBytes = 0 }, wantErr: "AMQP_MAX_MESSAGE_BYTES"},
		{name: "one attempt", mutate: func(c *Config) { c.MaxAttempts = 1 }},
		{name: "no attempts", mutate: func(c *Config) { c.MaxAttempts = 0 }, wantErr: "AMQP_MAX_ATTEMPTS"},
		{name: "attempts reach the delivery limit", mutate: func(c *Config) { c.MaxAttempts = QuorumDeliveryLimit }, wantErr: "AMQP_MAX_ATTEMPTS"},
		{name: "backoff cap below the first delay", mutate: func(c *Config) { c.RetryBackoffMax = time.Millisecond }, wantErr: "AMQP_RETRY_BACKOFF_MAX"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.mutate(&cfg)
			err := cfg.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate error = %v, want it to mention %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("Validate error leaks the URL: %v", err)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	var cfg Config
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	if cfg.QueueType != "classic" || cfg.Prefetch != 64 || cfg.DeadQueue != "pay.dead.queue" || cfg.RequeueDelay != time.Second {
		t.Fatalf("unexpected defaults: %+v", cfg)
	}
	if cfg.connectionName() == "" {
		t.Fatal("empty default connection name")
	}
}

func TestPoison(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantReason string
		wantOK     bool
	}{
		{name: "plain", err: Poison("bad json"), wantReason: "bad json", wantOK: true},
		{name: "wrapped", err: fmt.Errorf("decode topup: %w", Poison("bad json")), wantReason: "bad json", wantOK: true},
		{name: "joined", err: errors.Join(errors.New("x"), Poison("no request_id")), wantReason: "no request_id", wantOK: true},
		{name: "other error", err: errors.New("db down"), wantOK: false},
		{name: "nil", err: nil, wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reason, ok := IsPoison(tt.err)
			if ok != tt.wantOK || reason != tt.wantReason {
				t.Fatalf("IsPoison = %q, %v; want %q, %v", reason, ok, tt.wantReason, tt.wantOK)
			}
			if got := errors.Is(tt.err, ErrPoison); got != tt.wantOK {
				t.Fatalf("errors.Is(err, ErrPoison) = %v, want %v", got, tt.wantOK)
			}
			var pe *PoisonError
			if got := errors.As(tt.err, &pe); got != tt.wantOK {
				t.Fatalf("errors.As = %v, want %v", got, tt.wantOK)
			}
		})
	}
}

func TestAddresses(t *testing.T) {
	got := Addresses(" amqp://a:1/v , ,amqp://b:2/v,amqp://c:3/v ")
	want := []string{"amqp://a:1/v", "amqp://b:2/v", "amqp://c:3/v"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("Addresses = %q, want %q", got, want)
	}
	if got := Addresses(" , "); len(got) != 0 {
		t.Fatalf("Addresses of blanks = %q, want none", got)
	}
}

func TestInternalKeepsEveryAddress(t *testing.T) {
	cfg := Config{URL: "amqp://u:p%2C1@h1:5681/public, amqps://u:p@h2:5682/public,amqp://u:p@h3/"}
	internal, err := cfg.Internal()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"amqp://u:p%2C1@h1:5681/paysuite.internal",
		"amqps://u:p@h2:5682/paysuite.internal",
		"amqp://u:p@h3/paysuite.internal",
	}
	if got := Addresses(internal.URL); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("internal addresses = %q, want %q", got, want)
	}
	if err := internal.Validate(); err != nil {
		t.Fatalf("internal config: %v", err)
	}

	cfg.InternalURL = "amqp://u:p@h1/own,amqp://u:p@h2/own"
	if internal, err = cfg.Internal(); err != nil || internal.URL != cfg.InternalURL {
		t.Fatalf("explicit internal URL: %q, %v", internal.URL, err)
	}

	cfg = Config{URL: "amqp://u:secret@h1/vh,ftp://u:secret@h2/vh"}
	if _, err := cfg.Internal(); err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("Internal of a bad list: %v", err)
	}
}
