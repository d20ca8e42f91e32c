package witness

import (
	"context"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/rs/zerolog"
)

// dialWait bounds the wait for the node at start, as service.Start bounds the
// waits for the database and the broker.
const dialWait = 2 * time.Minute

// Dial connects to the node at url and reads its chain id, waiting for a node
// that starts after the service. The caller checks the id
// (config.Common.CheckDevChain) before it trusts the node with anything.
func Dial(ctx context.Context, url string, log zerolog.Logger) (*rpc.Client, uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, dialWait)
	defer cancel()
	backoff := 500 * time.Millisecond
	for {
		c, id, err := chainID(ctx, url)
		if err == nil {
			return c, id, nil
		}
		log.Warn().Err(err).Dur("retry_in", backoff).Msg("node not answering yet")
		select {
		case <-ctx.Done():
			return nil, 0, err
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func chainID(ctx context.Context, url string) (*rpc.Client, uint64, error) {
	c, err := rpc.DialContext(ctx, url)
	if err != nil {
		return nil, 0, fmt.Errorf("dial node: %w", err)
	}
	var id hexutil.Uint64
	if err := c.CallContext(ctx, &id, "eth_chainId"); err != nil {
		c.Close()
		return nil, 0, fmt.Errorf("node chain id: %w", err)
	}
	return c, uint64(id), nil
}
