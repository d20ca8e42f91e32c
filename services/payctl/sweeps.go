package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
)

// payCommand runs pay's operator command sub with payctl's arguments: sweeps
// lists the sweeps of deposit addresses, reconcile compares the suite's
// records with the chain. Pay owns both (its schema, its deposit addresses),
// so payctl reads none of its tables; a --chain given to payctl is handed on.
func payCommand(sub string) func(context.Context, config, []string) error {
	return func(ctx context.Context, cfg config, args []string) error {
		if cfg.chainGiven {
			args = append(args, "--chain", cfg.chain.Name)
		}
		cmd := exec.CommandContext(ctx, serviceBinary("pay"), append([]string{sub}, args...)...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("pay %s: %w", sub, err)
		}
		return nil
	}
}
