// Command chain-listener follows an EVM chain and reports ERC-20 transfers into
// the suite's watched addresses to the services that own them.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	pkgconfig "paysuite/pkg/config"
	"paysuite/pkg/logging"
	"paysuite/pkg/ops"
	"paysuite/services/chain-listener/internal/app"
	"paysuite/services/chain-listener/internal/config"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--healthcheck" {
		os.Exit(ops.Healthcheck(os.Getenv("HTTP_ADDR")))
	}
	cfg, err := pkgconfig.Load[config.Config]()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chain-listener: configuration:", err)
		os.Exit(2)
	}
	log := logging.New("chain-listener", cfg.Log)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, cfg, log); err != nil {
		log.Error().Err(err).Msg("chain-listener stopped")
		os.Exit(1)
	}
}
