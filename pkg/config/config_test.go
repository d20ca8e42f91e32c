package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

type inner struct {
	URL   string        `env:"TEST_URL" envDefault:"http://x"`
	Every time.Duration `env:"TEST_EVERY" envDefault:"1s"`
}

type sample struct {
	Common
	Inner inner
	Count int `env:"TEST_COUNT" envDefault:"3"`
}

func (s *sample) Validate() error {
	if err := s.Common.Validate(); err != nil {
		return err
	}
	if !strings.HasPrefix(s.Inner.URL, "http") {
		return VarError("TEST_URL", "must be an http(s) URL")
	}
	return nil
}

// plain has no Validate method.
type plain struct {
	Name string `env:"TEST_NAME" envDefault:"n"`
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		check   func(t *testing.T, s sample)
		wantErr string // substring of the error; empty means success
	}{
		{
			name: "defaults in dev mode",
			env:  map[string]string{"DEV_MODE": "true"},
			check: func(t *testing.T, s sample) {
				if s.SignSecret != DevSecret || s.InternalSecret != DevInternalSecret || s.MaxClockSkew != 300*time.Second || s.HTTPAddr != ":0" ||
					s.Log.Level != "info" || s.Log.Pretty || s.Count != 3 || s.Inner.URL != "http://x" || s.Inner.Every != time.Second {
					t.Errorf("unexpected defaults: %+v", s)
				}
			},
		},
		{
			name: "explicit values",
			env: map[string]string{"SIGN_SECRET": "s3", "INTERNAL_SECRET": strings.Repeat("i", MinInternalSecretLen), "MAX_CLOCK_SKEW": "1m", "TEST_COUNT": "7",
				"TEST_EVERY": "250ms", "LOG_LEVEL": "debug", "LOG_PRETTY": "true", "HTTP_ADDR": "127.0.0.1:9000"},
			check: func(t *testing.T, s sample) {
				if s.DevMode || s.SignSecret != "s3" || s.MaxClockSkew != time.Minute || s.Count != 7 ||
					s.Inner.Every != 250*time.Millisecond || s.Log.Level != "debug" || !s.Log.Pretty || s.HTTPAddr != "127.0.0.1:9000" {
					t.Errorf("unexpected values: %+v", s)
				}
			},
		},
		{
			name: "dev mode keeps an explicit secret",
			env:  map[string]string{"DEV_MODE": "true", "SIGN_SECRET": "mine"},
			check: func(t *testing.T, s sample) {
				if s.SignSecret != "mine" {
					t.Errorf("SignSecret = %q", s.SignSecret)
				}
			},
		},
		{name: "secret required", env: map[string]string{}, wantErr: "SIGN_SECRET: required unless DEV_MODE=true"},
		{name: "internal secret required", env: map[string]string{"SIGN_SECRET": "s3"}, wantErr: "INTERNAL_SECRET: required unless DEV_MODE=true"},
		{name: "short internal secret", env: map[string]string{"SIGN_SECRET": "s3", "INTERNAL_SECRET": "short"}, wantErr: "INTERNAL_SECRET: must be at least 32 characters"},
		{name: "internal secret is the signing secret", env: map[string]string{"SIGN_SECRET": strings.Repeat("s", 40), "INTERNAL_SECRET": strings.Repeat("s", 40)}, wantErr: "INTERNAL_SECRET: must differ"},
		{name: "internal secret is the previous signing secret", env: map[string]string{"SIGN_SECRET": "s3", "SIGN_SECRET_PREVIOUS": strings.Repeat("s", 40), "INTERNAL_SECRET": strings.Repeat("s", 40)}, wantErr: "INTERNAL_SECRET: must differ"},
		{name: "bad duration names the variable", env: map[string]string{"DEV_MODE": "true", "MAX_CLOCK_SKEW": "soon"}, wantErr: "MAX_CLOCK_SKEW: invalid"},
		{name: "nested bad duration", env: map[string]string{"DEV_MODE": "true", "TEST_EVERY": "x"}, wantErr: "TEST_EVERY: invalid"},
		{name: "bad int", env: map[string]string{"DEV_MODE": "true", "TEST_COUNT": "many"}, wantErr: "TEST_COUNT: invalid"},
		{name: "bad bool", env: map[string]string{"DEV_MODE": "yes please"}, wantErr: "DEV_MODE: invalid"},
		{name: "non-positive skew", env: map[string]string{"DEV_MODE": "true", "MAX_CLOCK_SKEW": "0s"}, wantErr: "MAX_CLOCK_SKEW: must be positive"},
		{name: "bad log level", env: map[string]string{"DEV_MODE": "true", "LOG_LEVEL": "chatty"}, wantErr: "LOG_LEVEL:"},
		{name: "bad http addr", env: map[string]string{"DEV_MODE": "true", "HTTP_ADDR": "nohost"}, wantErr: "HTTP_ADDR:"},
		{name: "service validation", env: map[string]string{"DEV_MODE": "true", "TEST_URL": "ftp://x"}, wantErr: "TEST_URL: must be an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"DEV_MODE", "SIGN_SECRET", "SIGN_SECRET_PREVIOUS", "INTERNAL_SECRET", "INTERNAL_SECRET_PREVIOUS", "MAX_CLOCK_SKEW", "HTTP_ADDR", "LOG_LEVEL", "LOG_PRETTY", "TEST_URL", "TEST_EVERY", "TEST_COUNT"} {
				t.Setenv(k, tt.env[k]) // empty means unset for fields with defaults
			}
			s, err := Load[sample]()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tt.check(t, s)
		})
	}
}

func TestSecretsAndDevChain(t *testing.T) {
	c := Common{SignSecret: "new", SignSecretPrevious: "old", InternalSecret: "inew"}
	if got := c.SignSecrets(); len(got) != 2 || string(got[0]) != "new" || string(got[1]) != "old" {
		t.Errorf("SignSecrets = %q", got)
	}
	if got := c.InternalSecrets(); len(got) != 1 || string(got[0]) != "inew" {
		t.Errorf("InternalSecrets = %q", got)
	}
	for _, tt := range []struct {
		dev     bool
		chainID uint64
		ok      bool
	}{{true, 1337, true}, {true, 1338, true}, {true, 1, false}, {true, 56, false}, {false, 1, true}} {
		c.DevMode = tt.dev
		err := c.CheckDevChain(tt.chainID)
		if (err == nil) != tt.ok || (err != nil && !strings.Contains(err.Error(), "DEV_MODE: refused: the node's chain id is")) {
			t.Errorf("CheckDevChain(dev=%v, %d) = %v", tt.dev, tt.chainID, err)
		}
	}
}

func TestLoadWithoutValidate(t *testing.T) {
	t.Setenv("TEST_NAME", "")
	p, err := Load[plain]()
	if err != nil || p.Name != "n" {
		t.Fatalf("Load = %+v, %v", p, err)
	}
}

func TestVarError(t *testing.T) {
	cause := errors.New("boom")
	tests := []struct {
		err  error
		want string
	}{
		{VarError("ETH_RPC_URL", "must be an http(s) or ws(s) URL"), "ETH_RPC_URL: must be an http(s) or ws(s) URL"},
		{VarError("TOKENS", "%v", "bad entry"), "TOKENS: bad entry"},
		{VarError("X", "parse: %w", cause), "X: parse: boom"},
	}
	for _, tt := range tests {
		if tt.err.Error() != tt.want {
			t.Errorf("got %q, want %q", tt.err, tt.want)
		}
		var ce *Error
		if !errors.As(tt.err, &ce) || ce.Var == "" {
			t.Errorf("%v is not a *Error", tt.err)
		}
	}
	if !errors.Is(tests[2].err, cause) {
		t.Error("VarError with %w does not wrap")
	}
}
