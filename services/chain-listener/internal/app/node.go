package app

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/rs/zerolog"

	"paysuite/pkg/config/onchain"
	"paysuite/pkg/ethnode"
	"paysuite/services/chain-listener/internal/chain"
)

// startWait bounds the wait at start for a chain's node: a node that answers
// is checked before the listener touches its database or broker; one that
// does not answer by then is dialled in the background while the other
// chains run.
const startWait = 5 * time.Second

// errNotConnected is what a chain's node answers until it is connected.
var errNotConnected = errors.New("not connected yet")

// node is a chain's node, once connected and checked; until then every
// read fails with errNotConnected.
type node struct {
	ch    onchain.Chain
	check func(chainID uint64) error
	rpc   atomic.Pointer[chain.RPC]
}

// dial connects to the node within wait (or ctx); it fails only when the node
// answered and check refused it, which must stop the listener. A node that
// does not answer is left unconnected.
func (n *node) dial(ctx context.Context, wait time.Duration, log zerolog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var refused error
	c, err := ethnode.Dial(ctx, n.ch.RPCURL, func(id uint64) error {
		if refused = n.check(id); refused == nil {
			refused = n.ch.CheckNode(id)
		}
		return refused
	}, log)
	if refused != nil || err != nil {
		return refused
	}
	n.rpc.Store(chain.New(c))
	return nil
}

// connect dials until the node is connected or ctx ends.
func (n *node) connect(ctx context.Context, log zerolog.Logger) error {
	for !n.connected() && ctx.Err() == nil {
		if err := n.dial(ctx, ethnode.Wait, log); err != nil {
			return err
		}
	}
	return nil
}

func (n *node) connected() bool { return n.rpc.Load() != nil }

// once calls read on the connection, or fails while there is none.
func once[T any](n *node, read func(*chain.RPC) (T, error)) (T, error) {
	r := n.rpc.Load()
	if r == nil {
		var zero T
		return zero, errNotConnected
	}
	return read(r)
}

// Close closes the connection, if any.
func (n *node) Close() {
	if r := n.rpc.Load(); r != nil {
		r.Close()
	}
}

// Head is chain.RPC.Head once connected.
func (n *node) Head(ctx context.Context) (uint64, error) {
	return once(n, func(r *chain.RPC) (uint64, error) { return r.Head(ctx) })
}

// Finalized is chain.RPC.Finalized once connected.
func (n *node) Finalized(ctx context.Context) (uint64, error) {
	return once(n, func(r *chain.RPC) (uint64, error) { return r.Finalized(ctx) })
}

// Genesis is the hash of the chain's block 0, once connected.
func (n *node) Genesis(ctx context.Context) (string, error) {
	return once(n, func(r *chain.RPC) (string, error) {
		b, err := r.Block(ctx, 0)
		return b.Hash.Hex(), err
	})
}

// Blocks is chain.RPC.Blocks once connected.
func (n *node) Blocks(ctx context.Context, from, to uint64) ([]chain.BlockRef, error) {
	return once(n, func(r *chain.RPC) ([]chain.BlockRef, error) { return r.Blocks(ctx, from, to) })
}

// TransferLogs is chain.RPC.TransferLogs once connected.
func (n *node) TransferLogs(ctx context.Context, from, to uint64, tokens, recipients []common.Address) ([]types.Log, error) {
	return once(n, func(r *chain.RPC) ([]types.Log, error) { return r.TransferLogs(ctx, from, to, tokens, recipients) })
}
