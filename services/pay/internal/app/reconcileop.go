package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"paysuite/pkg/payoutapp"
	"paysuite/services/pay/internal/config"
	"paysuite/services/pay/internal/reconcile"
)

// errDifferences makes reconcile exit 1 when it found a difference, for
// scripts.
var errDifferences = errors.New("balances differ from the records")

// reconcileCommand is `pay reconcile [--chain NAME] [--block N]`: the
// reconciliation of every deposit address at one settled block of each chain
// (the newest, or N), printed.
func reconcileCommand(cfg config.Config) payoutapp.Command {
	return payoutapp.Command{
		Name: "reconcile", Usage: "reconcile [--chain NAME] [--block N]", Dial: true,
		Help: "compare every deposit address's balances with the records (deposits in; payments, sweeps, fundings and fees) " +
			"at the newest settled block of each chain, or block N; print each difference; exit 1 if there is one",
		Run: func(ctx context.Context, env payoutapp.CommandEnv, args []string, out io.Writer) error {
			fs := flag.NewFlagSet("reconcile", flag.ContinueOnError)
			fs.SetOutput(out)
			chain := fs.String("chain", "", "only this chain")
			block := fs.Uint64("block", 0, "at this block rather than the newest settled one")
			if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
				return payoutapp.ErrUsage
			}
			found := false
			for _, ch := range env.Chains {
				if *chain != "" && ch.Name != *chain {
					continue
				}
				r, err := reconcilerOf(ctx, env, ch, cfg)
				if err != nil {
					return err
				}
				h := *block
				if h == 0 {
					if h, err = r.Height(ctx); err != nil {
						return err
					}
				}
				n, diffs, err := r.At(ctx, h)
				if err != nil {
					return fmt.Errorf("chain %s: %w", ch.Name, err)
				}
				if err := reconcile.Write(out, ch.Name, h, n, diffs); err != nil {
					return err
				}
				found = found || len(diffs) > 0
			}
			if found {
				return errDifferences
			}
			return nil
		},
	}
}

// reconcilerOf is the reconciler of ch.
func reconcilerOf(ctx context.Context, env payoutapp.CommandEnv, ch *payoutapp.Chain, cfg config.Config) (*reconcile.Reconciler, error) {
	id, err := ch.Node.ChainID(ctx)
	if err != nil {
		return nil, fmt.Errorf("chain %s: chain id: %w", ch.Name, err)
	}
	return &reconcile.Reconciler{Chain: ch.Name, Native: ch.NativeSymbol, Tokens: ch.Tokens, Node: ch.Node, ChainID: id.Uint64(),
		DB: env.DB, Confirmations: cfg.SenderOn(ch.Chain).Confirmations}, nil
}
