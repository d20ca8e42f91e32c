package scanner_test

import (
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/events"
	"paysuite/services/chain-listener/internal/scanner"
	"paysuite/services/chain-listener/internal/store"
)

// TestBackfillResumesInChunks registers an address 300 blocks after it was
// handed out, with a deposit 150 blocks after the hand-out, to a scanner
// whose backfill covers 100 blocks a step: each step moves the backfill on
// by one chunk and records where it stands, so a scanner started afresh (a
// restart, a new leader) goes on from there and finds the deposit.
func TestBackfillResumesInChunks(t *testing.T) {
	c := startBenchChain(t)
	l := newBenchListener(t, c, c.head()+1)
	const chunk = 100
	restart := func() *scanner.Scanner {
		opts := benchOptions(t, 1)
		opts.BackfillChunk = chunk
		return l.scanner(c.node, opts)
	}
	step := l.stepWith
	if err := c.dev.Mine(50); err != nil { // so that the backfill's start is not block 1
		t.Fatal(err)
	}
	l.step()
	handedOut := c.head()
	to := benchAddresses("late", 1)[0]
	if err := c.dev.Mine(150); err != nil {
		t.Fatal(err)
	}
	blocks := c.mineAll([]common.Hash{c.sendBatch(0, []common.Address{to}, 0)})
	if err := c.dev.Mine(150); err != nil {
		t.Fatal(err)
	}
	first := restart()
	step(first)
	addr := strings.ToLower(to.Hex())
	if _, err := l.store.AddWatched(t.Context(), map[string]store.Registration{
		addr: {Owner: events.OwnerTopup, FromBlock: &handedOut},
	}); err != nil {
		t.Fatal(err)
	}

	step(first)
	var w store.Watched
	if err := l.db.Where("address = ?", addr).First(&w).Error; err != nil {
		t.Fatal(err)
	}
	// From a confirmation depth before the hand-out, one chunk a step.
	wantNext := handedOut - benchConfirmations + chunk
	if !w.BackfillPending || w.BackfillNext == nil || *w.BackfillNext != wantNext || w.BackfillTo == nil || *w.BackfillTo != c.head() {
		t.Fatalf("after one step: pending %v, next %v, to %v; want next %d up to %d", w.BackfillPending, deref(w.BackfillNext), deref(w.BackfillTo), wantNext, c.head())
	}
	if n := l.countTransfers(store.StatusConfirmed); n != 0 {
		t.Fatalf("%d transfers found in the first chunk", n)
	}
	if !first.Backfilling() {
		t.Fatal("the scanner does not say the backfill goes on")
	}

	second := restart()
	for range 10 {
		step(second)
		if !second.Backfilling() {
			break
		}
	}
	if err := l.db.Where("address = ?", addr).First(&w).Error; err != nil {
		t.Fatal(err)
	}
	if w.BackfillPending || second.Backfilling() {
		t.Fatalf("backfill not done: %+v", w)
	}
	var got []store.Transfer
	if err := l.db.Where("to_address = ?", addr).Find(&got).Error; err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Status != store.StatusConfirmed || blocks[got[0].BlockNumber] == 0 {
		t.Fatalf("transfers %+v, want the deposit of blocks %v, confirmed", got, blocks)
	}
}

func deref(p *uint64) any {
	if p == nil {
		return nil
	}
	return *p
}
