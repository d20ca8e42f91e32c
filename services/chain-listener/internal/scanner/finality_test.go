package scanner_test

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/config/onchain"
	"paysuite/services/chain-listener/internal/store"
)

// finalityEpoch is how often the development chain finalizes a block.
const finalityEpoch = 32

// TestFinalizedFinality follows a chain whose finality is "finalized": a
// transfer stays seen, however deep, until the node's finalized block has
// reached it, and is confirmed then.
func TestFinalizedFinality(t *testing.T) {
	c := startBenchChain(t)
	l := newBenchListener(t, c, c.head()+1)
	opts := benchOptions(t, c.head()+1)
	opts.Confirmations, opts.Finality = 1, onchain.FinalityFinalized // one block would confirm it at once
	scan := l.scanner(c.node, opts)
	step := func() { l.stepWith(scan) }
	l.watch(benchAddresses("finalized", 1))
	// The transfer lands a few blocks past a finalized block.
	if err := c.dev.Mine(finalityEpoch + 1 - int(c.head()%finalityEpoch)); err != nil {
		t.Fatal(err)
	}
	blocks := c.mineAll([]common.Hash{c.sendBatch(0, benchAddresses("finalized", 1), 0)})
	if err := c.dev.Mine(3); err != nil {
		t.Fatal(err)
	}
	step()
	if seen, confirmed := l.countTransfers(store.StatusSeen), l.countTransfers(store.StatusConfirmed); seen != 1 || confirmed != 0 {
		t.Fatalf("%d seen and %d confirmed below the finalized block (blocks %v, head %d), want 1 seen", seen, confirmed, blocks, c.head())
	}
	if err := c.dev.Mine(finalityEpoch - int(c.head()%finalityEpoch)); err != nil {
		t.Fatal(err)
	}
	step()
	if n := l.countTransfers(store.StatusConfirmed); n != 1 {
		t.Fatalf("%d confirmed once finalized (head %d), want 1", n, c.head())
	}
}
