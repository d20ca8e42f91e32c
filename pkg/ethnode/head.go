package ethnode

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
)

// Head is the node's newest block number, read at most once per MaxAge. A
// value it returns was the head at some past moment, so it is never later
// than the head at the moment of the call: what a service records as the
// block from which an address it hands out must be watched.
type Head struct {
	Client *rpc.Client
	MaxAge time.Duration

	mu     sync.Mutex
	read   time.Time
	number uint64
}

// Number returns the head, read again from the node when the last read is
// older than MaxAge. When that read fails it returns the last value read
// (still a lower bound of the head), and an error only when none was ever read.
func (h *Head) Number(ctx context.Context) (uint64, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.read.IsZero() && time.Since(h.read) < h.MaxAge {
		return h.number, nil
	}
	var n hexutil.Uint64
	if err := h.Client.CallContext(ctx, &n, "eth_blockNumber"); err != nil {
		if !h.read.IsZero() {
			return h.number, nil
		}
		return 0, fmt.Errorf("read the chain head: %w", err)
	}
	h.number, h.read = uint64(n), time.Now()
	return h.number, nil
}
