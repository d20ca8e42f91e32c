// Command pay pays merchants for orders from users' deposit addresses (funding
// their gas) or from its own hot wallet, exactly once per request, and reports
// the outcome.
// With the argument pending it lists the requests not yet final instead
// (pay help).
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
	"paysuite/services/pay/internal/app"
	"paysuite/services/pay/internal/config"
)

func main() {
	if len(os.Args) == 1 || os.Args[1] == "--healthcheck" {
		service.Main[config.Config]("pay", app.Run)
		return
	}
	cfg, err := pkgconfig.Load[config.Config]()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pay: configuration:", err)
		os.Exit(2)
	}
	log := logging.New("pay", cfg.Log)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := app.Admin(ctx, cfg, os.Args[1:], os.Stdout, log); err != nil {
		if errors.Is(err, app.ErrUsage) {
			fmt.Fprint(os.Stderr, app.Usage)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "pay:", err)
		os.Exit(1)
	}
}
