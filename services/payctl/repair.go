package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// repairNonces shows, and with --apply does, the repair of the addresses
// whose signing withdraw or pay stopped because their nonces and the chain's
// disagree. The service binary does it (withdraw|pay repair-nonces), beside
// the running service: it owns the schema and the keys, works under the same
// locks as the service's replicas, and the replicas' trackers send what it
// signed, so payctl reads none of the service's tables and the service needs
// no command queue.
func repairNonces(ctx context.Context, _ config, args []string) error {
	if len(args) < 1 || len(args) > 2 || (args[0] != "withdraw" && args[0] != "pay") ||
		(len(args) == 2 && args[1] != "--apply") {
		return errors.New("usage: payctl repair-nonces withdraw|pay [--apply]")
	}
	svc := args[0]
	cmd := exec.CommandContext(ctx, serviceBinary(svc), append([]string{"repair-nonces"}, args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s repair-nonces: %w", svc, err)
	}
	return nil
}

// serviceBinary is the binary of service svc: $<SVC>_BIN, else the one beside
// payctl, else svc on the PATH.
func serviceBinary(svc string) string {
	if bin := os.Getenv(strings.ToUpper(svc) + "_BIN"); bin != "" {
		return bin
	}
	if self, err := os.Executable(); err == nil {
		if sibling := filepath.Join(filepath.Dir(self), svc); fileExists(sibling) {
			return sibling
		}
	}
	return svc
}
