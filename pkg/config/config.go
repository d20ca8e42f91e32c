// Package config reads a service's typed configuration from the environment and
// validates it, with errors that name the offending variable.
package config

import (
	"errors"
	"fmt"
	"net"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"paysuite/pkg/logging"
)

// Secrets of the development mode: DevSecret is the contract's (section 3),
// DevInternalSecret authenticates the messages between the suite's services.
const (
	DevSecret         = "dev-secret"
	DevInternalSecret = "dev-internal-secret"
)

// MinInternalSecretLen is the shortest INTERNAL_SECRET accepted outside the
// development mode: nobody outside the suite ever needs to type it.
const MinInternalSecretLen = 32

// DevChainIDs are the chain ids of the development chains (contract section
// 5): the only ones the development mode runs against.
var DevChainIDs = []uint64{1337, 1338}

// Common is the configuration every service embeds.
type Common struct {
	DevMode    bool   `env:"DEV_MODE" envDefault:"false"`
	SignSecret string `env:"SIGN_SECRET"`
	// SignSecretPrevious is still accepted on requests during a rotation;
	// returns are signed with SignSecret.
	SignSecretPrevious string `env:"SIGN_SECRET_PREVIOUS"`
	// InternalSecret authenticates the messages between the suite's services;
	// business systems never hold it. InternalSecretPrevious is still
	// accepted during a rotation.
	InternalSecret         string        `env:"INTERNAL_SECRET"`
	InternalSecretPrevious string        `env:"INTERNAL_SECRET_PREVIOUS"`
	MaxClockSkew           time.Duration `env:"MAX_CLOCK_SKEW" envDefault:"300s"`
	// HTTPAddr is the health and metrics listener.
	HTTPAddr string `env:"HTTP_ADDR" envDefault:":0"`
	// Profiling serves Go's /debug/pprof endpoints on HTTPAddr too; they
	// reveal internals, so HTTP_ADDR must then stay off public networks.
	Profiling bool `env:"PPROF_ENABLED" envDefault:"false"`
	Log       logging.Config
}

// Validate checks the common settings and, in development mode, fills in the
// development signing secret when none is set.
func (c *Common) Validate() error {
	if c.SignSecret == "" {
		if !c.DevMode {
			return VarError("SIGN_SECRET", "required unless DEV_MODE=true")
		}
		c.SignSecret = DevSecret
	}
	if c.InternalSecret == "" {
		if !c.DevMode {
			return VarError("INTERNAL_SECRET", "required unless DEV_MODE=true")
		}
		c.InternalSecret = DevInternalSecret
	}
	if !c.DevMode && len(c.InternalSecret) < MinInternalSecretLen {
		return VarError("INTERNAL_SECRET", "must be at least %d characters", MinInternalSecretLen)
	}
	for _, s := range []string{c.SignSecret, c.SignSecretPrevious} {
		if s != "" && (s == c.InternalSecret || s == c.InternalSecretPrevious) {
			return VarError("INTERNAL_SECRET", "must differ from SIGN_SECRET and SIGN_SECRET_PREVIOUS: business systems hold those")
		}
	}
	if c.MaxClockSkew <= 0 {
		return VarError("MAX_CLOCK_SKEW", "must be positive")
	}
	if c.HTTPAddr != "" {
		if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
			return VarError("HTTP_ADDR", "must be host:port or :port: %w", err)
		}
	}
	return c.Log.Validate()
}

// Validate runs the validations of a service's blocks in order and returns the
// first error: a service's Validate lists its blocks' and then checks its own
// settings.
func Validate(blocks ...func() error) error {
	for _, validate := range blocks {
		if err := validate(); err != nil {
			return err
		}
	}
	return nil
}

// Error is a configuration error about one environment variable.
type Error struct {
	Var string
	Err error
}

// Error renders "VAR: reason".
func (e *Error) Error() string { return e.Var + ": " + e.Err.Error() }

// Unwrap returns the reason.
func (e *Error) Unwrap() error { return e.Err }

// VarError returns an error about the variable name, formatted like fmt.Errorf
// (so %w wraps), e.g. "ETH_RPC_URL: must be an http(s) or ws(s) URL".
func VarError(name, format string, args ...any) error {
	return &Error{Var: name, Err: fmt.Errorf(format, args...)}
}

// Load parses the environment into a T (nested structs included) and then, when
// *T has a Validate method, runs it.
func Load[T any]() (T, error) {
	var cfg T
	if err := env.Parse(&cfg); err != nil {
		var zero T
		return zero, fmt.Errorf("load config: %w", explain(err, reflect.TypeOf(cfg)))
	}
	if v, ok := any(&cfg).(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			var zero T
			return zero, fmt.Errorf("load config: %w", err)
		}
	}
	return cfg, nil
}

// explain rewrites the env library's errors so that each names its variable:
// its parse errors name only the Go field.
func explain(err error, t reflect.Type) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return err
	}
	keys := map[string][]string{}
	fieldKeys(t, "", keys)
	out := make([]error, 0, len(agg.Errors))
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) {
			name := pe.Name
			if k := keys[pe.Name]; len(k) > 0 {
				name = strings.Join(k, " or ")
			}
			out = append(out, VarError(name, "invalid %s: %w", pe.Type, pe.Err))
			continue
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// fieldKeys maps Go field names to the environment variables they are read from,
// following nested structs the way the env library does.
func fieldKeys(t reflect.Type, prefix string, keys map[string][]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag, _, _ := strings.Cut(f.Tag.Get("env"), ",")
		if tag == "-" {
			continue
		}
		if tag != "" && !slices.Contains(keys[f.Name], prefix+tag) {
			keys[f.Name] = append(keys[f.Name], prefix+tag)
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[time.Time]() {
			fieldKeys(ft, prefix+f.Tag.Get("envPrefix"), keys)
		}
	}
}

// SignSecrets are the secrets a request's signature may be made with, the
// current one first (the one returns are signed with).
func (c *Common) SignSecrets() [][]byte { return secrets(c.SignSecret, c.SignSecretPrevious) }

// InternalSecrets are the secrets an internal message may be authenticated
// with, the current one first (the one the suite authenticates with).
func (c *Common) InternalSecrets() [][]byte {
	return secrets(c.InternalSecret, c.InternalSecretPrevious)
}

func secrets(current, previous string) [][]byte {
	out := [][]byte{[]byte(current)}
	if previous != "" && previous != current {
		out = append(out, []byte(previous))
	}
	return out
}

// CheckDevChain refuses the development mode against a node whose chain id
// is not a development chain's: on a real chain the development keys and
// secrets are public.
func (c *Common) CheckDevChain(chainID uint64) error {
	if !c.DevMode || slices.Contains(DevChainIDs, chainID) {
		return nil
	}
	return VarError("DEV_MODE", "refused: the node's chain id is %d, not a development chain's %v; development keys and secrets are public", chainID, DevChainIDs)
}

// CommonSettings gives generic start-up code access to the settings every
// service embeds.
func (c *Common) CommonSettings() *Common { return c }
