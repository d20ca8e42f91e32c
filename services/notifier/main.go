// Command notifier posts every return of a request with a callback_url to that
// URL as a signed webhook, and forwards operator alerts to Telegram. With
// arguments it runs an operator command instead (notifier help).
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
	"paysuite/services/notifier/internal/admin"
	"paysuite/services/notifier/internal/app"
	"paysuite/services/notifier/internal/config"
)

func main() {
	if len(os.Args) == 1 || os.Args[1] == "--healthcheck" {
		service.Main[config.Config](app.Name, app.Run)
		return
	}
	cfg, err := pkgconfig.Load[config.Config]()
	if err != nil {
		fmt.Fprintln(os.Stderr, "notifier: configuration:", err)
		os.Exit(2)
	}
	log := logging.New(app.Name, cfg.Log)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := app.Admin(ctx, cfg, os.Args[1:], log); err != nil {
		fmt.Fprintln(os.Stderr, "notifier:", err)
		if errors.Is(err, admin.ErrUsage) {
			fmt.Fprint(os.Stderr, admin.Usage)
			os.Exit(2)
		}
		os.Exit(1)
	}
}
