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

// DevSecret is the signing secret of the development mode (contract section 3).
const DevSecret = "dev-secret"

// Common is the configuration every service embeds.
type Common struct {
	DevMode      bool          `env:"DEV_MODE" envDefault:"false"`
	SignSecret   string        `env:"SIGN_SECRET"`
	MaxClockSkew time.Duration `env:"MAX_CLOCK_SKEW" envDefault:"300s"`
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

// CommonSettings gives generic start-up code access to the settings every
// service embeds.
func (c *Common) CommonSettings() *Common { return c }
