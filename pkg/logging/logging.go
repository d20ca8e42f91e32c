// Package logging builds the structured zerolog logger every service uses.
package logging

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/rs/zerolog"
)

// Config is the logger's environment configuration.
type Config struct {
	Level  string `env:"LOG_LEVEL" envDefault:"info"`
	Pretty bool   `env:"LOG_PRETTY" envDefault:"false"`
}

// Validate checks that LOG_LEVEL names a zerolog level.
func (c Config) Validate() error {
	if _, err := parseLevel(c.Level); err != nil {
		return fmt.Errorf("LOG_LEVEL: %w", err)
	}
	return nil
}

// New returns a logger writing JSON lines to stderr (or human-readable lines when
// Pretty is set), each with a timestamp and the field "service".
func New(service string, cfg Config) zerolog.Logger {
	return NewWriter(os.Stderr, service, cfg)
}

// NewWriter is New with the output chosen by the caller.
func NewWriter(w io.Writer, service string, cfg Config) zerolog.Logger {
	if cfg.Pretty {
		w = zerolog.ConsoleWriter{Out: w}
	}
	// An invalid level has already been reported by Validate at start-up; falling
	// back to info keeps the logger usable instead of silencing it.
	level, err := parseLevel(cfg.Level)
	if err != nil {
		level = zerolog.InfoLevel
	}
	return zerolog.New(w).Level(level).With().Timestamp().Str("service", service).Logger()
}

func parseLevel(s string) (zerolog.Level, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" {
		return zerolog.InfoLevel, nil
	}
	level, err := zerolog.ParseLevel(s)
	if err != nil {
		return zerolog.NoLevel, fmt.Errorf("unknown log level %q", s)
	}
	return level, nil
}
