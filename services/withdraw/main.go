// Command withdraw pays out tokens from the suite's hot wallet, exactly once per
// request, and reports the outcome.
// With the argument pending it lists the requests not yet final instead
// (withdraw help).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	pkgconfig "paysuite/pkg/config"
	"paysuite/pkg/logging"
	"paysuite/pkg/service"
	"paysuite/services/withdraw/internal/app"
	"paysuite/services/withdraw/internal/config"
)

func main() {
	if len(os.Args) == 1 || os.Args[1] == "--healthcheck" {
		service.Main[config.Config]("withdraw", app.Run)
		return
	}
	cfg, err := pkgconfig.Load[config.Config]()
	if err != nil {
		fmt.Fprintln(os.Stderr, "withdraw: configuration:", err)
		os.Exit(2)
	}
	log := logging.New("withdraw", cfg.Log)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := app.Admin(ctx, cfg, os.Args[1:], os.Stdout, log); err != nil {
		if errors.Is(err, app.ErrUsage) {
			fmt.Fprint(os.Stderr, app.Usage)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "withdraw:", err)
		os.Exit(1)
	}
}
