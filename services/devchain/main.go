// Command devchain runs the development Ethereum chain of the suite (contract section 5) until SIGINT
// or SIGTERM.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	pkgconfig "paysuite/pkg/config"
	"paysuite/pkg/devchain"
	"paysuite/pkg/logging"
	"paysuite/pkg/ops"
)

// serviceConfig is the environment configuration of the devchain command.
type serviceConfig struct {
	Chain devchain.Config
	Log   logging.Config
	// HTTPAddr serves /healthz, /readyz and /metrics, like every service.
	HTTPAddr string `env:"HTTP_ADDR" envDefault:"127.0.0.1:0"`
}

// Validate checks the chain and logger settings.
func (c *serviceConfig) Validate() error {
	if err := c.Chain.Validate(); err != nil {
		return err
	}
	return c.Log.Validate()
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--healthcheck" {
		os.Exit(ops.Healthcheck(os.Getenv("HTTP_ADDR")))
	}
	cfg, err := pkgconfig.Load[serviceConfig]()
	if err != nil {
		fmt.Fprintln(os.Stderr, "devchain: configuration:", err)
		os.Exit(2)
	}
	log := logging.New("devchain", cfg.Log)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	chain, err := devchain.Start(ctx, cfg.Chain, log)
	if err != nil {
		log.Error().Err(err).Msg("devchain failed to start")
		os.Exit(1)
	}
	fmt.Printf("devchain: JSON-RPC http %s ws %s (chain id %d)\n", chain.HTTPURL(), chain.WSURL(), chain.ChainID())

	if err := ops.New(cfg.HTTPAddr, log).Run(ctx); err != nil {
		log.Error().Err(err).Msg("operational endpoints")
	}
	<-ctx.Done()
	if err := chain.Close(); err != nil {
		log.Error().Err(err).Msg("devchain close")
		os.Exit(1)
	}
}
