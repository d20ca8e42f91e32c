// Command matcher opens orders with a payable address and amount and matches
// incoming transfers to them. With arguments it runs an operator command
// instead (matcher help): list the transfers that matched no order, assign
// one to an order.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"paysuite/pkg/service"
	"paysuite/services/matcher/internal/app"
	"paysuite/services/matcher/internal/config"
	"paysuite/services/matcher/internal/operator"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] != "--healthcheck" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
		code := operator.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	service.Main[config.Config]("matcher", app.Run)
}
