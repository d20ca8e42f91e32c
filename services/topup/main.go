// Command topup allocates or watches deposit addresses and reports deposits to them.
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
	"paysuite/services/topup/internal/app"
	"paysuite/services/topup/internal/config"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--healthcheck" {
		os.Exit(ops.Healthcheck(os.Getenv("HTTP_ADDR")))
	}
	cfg, err := pkgconfig.Load[config.Config]()
	if err != nil {
		fmt.Fprintln(os.Stderr, "topup: configuration:", err)
		os.Exit(2)
	}
	log := logging.New("topup", cfg.Log)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, cfg, log); err != nil {
		log.Error().Err(err).Msg("topup stopped")
		os.Exit(1)
	}
}
