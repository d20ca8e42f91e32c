package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
)

// matcherCommand runs the matcher's operator command sub with payctl's
// arguments: unmatched lists the transfers that matched no order, assign
// gives one to an order. The matcher owns both (its schema, and the path
// that reports a payment), so payctl reads none of its tables. A --chain
// given to payctl is handed on to unmatched; a transfer's id names its chain,
// so assign takes none.
func matcherCommand(sub string) func(context.Context, config, []string) error {
	return func(ctx context.Context, cfg config, args []string) error {
		if cfg.chainGiven {
			if sub == "assign" {
				return errors.New("assign: --chain does not apply, the transfer id (<chain>:<tx_hash>:<log_index>) names the chain")
			}
			args = append(args, "--chain", cfg.chain.Name)
		}
		cmd := exec.CommandContext(ctx, serviceBinary("matcher"), append([]string{sub}, args...)...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("matcher %s: %w", sub, err)
		}
		return nil
	}
}
