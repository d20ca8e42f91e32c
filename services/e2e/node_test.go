package e2e

import "paysuite/pkg/devchain"

// Node is the Ethereum node a suite's services run against: the embedded
// development chain, or another implementation driven through its own
// JSON-RPC control methods. Either way it has chain id 1337, the funded
// development accounts and the test USDT at erc20.DevTokenAddress, and it
// makes blocks only when told to.
type Node interface {
	HTTPURL() string
	WSURL() string
	// Mine seals n blocks with the pending transactions.
	Mine(n int) error
	// Reorg replaces the last depth blocks with as many new empty ones: the
	// transactions of the removed blocks are dropped, the ones pending before
	// stay pending.
	Reorg(depth int) error
	Close() error
}

var _ Node = (*devchain.Chain)(nil)
