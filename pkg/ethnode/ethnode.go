// Package ethnode connects a service to its node: it waits for a node that
// starts after the service, reads the chain id and has it checked
// (config.Common.CheckDevChain) before the service trusts the node with
// anything, so that the development mode, whose keys and secrets are public,
// never runs against a real chain. The node's URL may carry a provider's API
// key: errors and logs name the node by redact.URL only.
package ethnode

import (
	"context"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/rs/zerolog"

	"paysuite/pkg/redact"
)

// Wait bounds the wait for the node at start, as service.Start bounds the
// waits for the database and the broker.
const Wait = 2 * time.Minute

// Dial connects to the node at url, reads its chain id, retrying until the
// node answers or Wait passes, and returns the connection once check accepts
// the id. Nothing but eth_chainId is asked of a node check refuses.
func Dial(ctx context.Context, url string, check func(chainID uint64) error, log zerolog.Logger) (*rpc.Client, error) {
	ctx, cancel := context.WithTimeout(ctx, Wait)
	defer cancel()
	backoff := 500 * time.Millisecond
	for {
		c, id, err := chainID(ctx, url)
		if err == nil {
			if err := check(id); err != nil {
				c.Close()
				return nil, err
			}
			log.Info().Str("node", redact.URL(url)).Uint64("chain_id", id).Msg("node connected")
			return c, nil
		}
		log.Warn().Err(err).Dur("retry_in", backoff).Msg("node not answering yet")
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// chainID dials url and asks its chain id; its errors hide url's secrets.
func chainID(ctx context.Context, url string) (*rpc.Client, uint64, error) {
	c, err := rpc.DialContext(ctx, url)
	if err != nil {
		return nil, 0, fmt.Errorf("dial node %s: %w", redact.URL(url), redact.Error(err, url))
	}
	var id hexutil.Uint64
	if err := c.CallContext(ctx, &id, "eth_chainId"); err != nil {
		c.Close()
		return nil, 0, fmt.Errorf("node %s chain id: %w", redact.URL(url), redact.Error(err, url))
	}
	return c, uint64(id), nil
}
