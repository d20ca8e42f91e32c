// Package payoutapp holds the wiring the services that pay out from a hot
// wallet of their own (withdraw, pay) share: their command line with the
// operator commands, the nonce repair beside the running service, and the
// start of the parts every payout service runs.
package payoutapp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/rs/zerolog"

	"paysuite/pkg/config"
	"paysuite/pkg/logging"
	"paysuite/pkg/service"
)

// ErrUsage means the operator command line was not understood.
var ErrUsage = errors.New("usage")

// Main runs a payout service's binary: without arguments (or with
// --healthcheck) the service itself, as service.Main does; otherwise the
// operator command of the service's operator, printing its usage and
// exiting 2 when the command line is not understood.
func Main[C any, P service.Configured[C]](name string, run func(ctx context.Context, cfg C, log zerolog.Logger) error,
	operator func(cfg C) Operator) {
	if len(os.Args) == 1 || os.Args[1] == "--healthcheck" {
		service.Main[C, P](name, run)
		return
	}
	cfg, err := config.Load[C]()
	if err != nil {
		fmt.Fprintln(os.Stderr, name+": configuration:", err)
		os.Exit(2)
	}
	log := logging.New(name, P(&cfg).CommonSettings().Log)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	op := operator(cfg)
	if err := op.Run(ctx, os.Args[1:], os.Stdout, log); err != nil {
		if errors.Is(err, ErrUsage) {
			fmt.Fprint(os.Stderr, op.Usage())
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}
