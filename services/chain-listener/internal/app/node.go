package app

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"
)

// nodeWait bounds the wait for the node at start, as service.Start bounds the
// waits for the database and the broker.
const nodeWait = 2 * time.Minute

// chainIDReader is what checkNode reads from the node.
type chainIDReader interface {
	ChainID(ctx context.Context) (uint64, error)
}

// checkNode reads the node's chain id, waiting for a node that starts after
// the listener, and hands it to check (config.Common.CheckDevChain): the
// development mode's keys and secrets are public, so it never runs against a
// real chain.
func checkNode(ctx context.Context, node chainIDReader, check func(chainID uint64) error, log zerolog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, nodeWait)
	defer cancel()
	backoff := 500 * time.Millisecond
	for {
		id, err := node.ChainID(ctx)
		if err == nil {
			return check(id)
		}
		log.Warn().Err(err).Dur("retry_in", backoff).Msg("node not answering yet")
		select {
		case <-ctx.Done():
			return fmt.Errorf("node: %w", err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}
