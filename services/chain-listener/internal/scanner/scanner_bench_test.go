package scanner_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/services/chain-listener/internal/store"
)

// scannerSizes are the dimensions of the scanner benchmarks.
type scannerSizes struct {
	// watched is the number of synthetic watched addresses besides the recipients.
	watched int
	// transfers is the number of transfers to watched addresses in the big block.
	transfers int
	// recipients is the number of distinct addresses they go to. The block gas
	// limit (60M) holds about 3,700 transfers to distinct existing holders but
	// 5,000 when each recipient gets five: the repeats in one transaction
	// touch a storage slot already warm.
	recipients int
	// perTx is the number of transfers per transferBatch transaction: the
	// node caps one transaction's gas (EIP-7825) and its pool one's size.
	perTx int
	// catchupBlocks is the number of ordinary blocks scanned in one catch-up.
	catchupBlocks int
}

// sizesFor gives the full dimensions, or small ones that run the same code in
// seconds (go test, -short).
func sizesFor(short bool) scannerSizes {
	if short {
		return scannerSizes{watched: 1_000, transfers: 50, recipients: 10, perTx: 25, catchupBlocks: 20}
	}
	return scannerSizes{watched: 1_000_000, transfers: 5_000, recipients: 1_000, perTx: 1_000, catchupBlocks: 1_000}
}

// freshPerTx is the number of transfers to new holders per transaction: about
// 115k gas each, under the 16.7M gas cap of one transaction.
const freshPerTx = 130

// scannerFixture is a development chain, a listener schema watching
// sz.watched+sz.recipients addresses, and a scanner that has loaded them.
type scannerFixture struct {
	tb         testing.TB
	sz         scannerSizes
	chain      *benchChain
	listener   *benchListener
	recipients []common.Address
	unwatched  []common.Address
	next       int // next unwatched address to use
	// loadTime is the duration of the first step, which loads the watched set.
	loadTime time.Duration
}

func newScannerFixture(tb testing.TB, sz scannerSizes) *scannerFixture {
	tb.Helper()
	f := &scannerFixture{tb: tb, sz: sz, chain: startBenchChain(tb),
		recipients: benchAddresses("recipient", sz.recipients),
		unwatched:  benchAddresses("unwatched", 4*sz.catchupBlocks)}
	// A first transfer to each recipient, in blocks the scanner never reads:
	// the measured blocks then move balances that already exist, as deposits to
	// used addresses do, and fit many more transfers in a block (a transfer to
	// a new holder costs about 115k gas on the development chain, one to an
	// existing holder about 16k).
	f.chain.mineAll(f.chain.sendSpread(f.recipients, freshPerTx))
	f.listener = newBenchListener(tb, f.chain, f.chain.head()+1)
	f.listener.watchSequence(sz.watched)
	f.listener.watch(f.recipients)
	f.loadTime, _ = f.listener.step()
	if got, want := f.listener.scan.Watched(), sz.watched+sz.recipients; got != want {
		tb.Fatalf("scanner loaded %d watched addresses, want %d", got, want)
	}
	return f
}

// measureLoad drops the scanner's memory and times the step that reloads the
// watched set; it also returns the heap the set takes.
func (f *scannerFixture) measureLoad() (time.Duration, uint64) {
	f.listener.scan.Reset()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	took, _ := f.listener.step()
	runtime.GC()
	runtime.ReadMemStats(&after)
	var heap uint64
	if after.HeapAlloc > before.HeapAlloc {
		heap = after.HeapAlloc - before.HeapAlloc
	}
	return took, heap
}

// measureBlock mines one block with sz.transfers transfers to watched
// addresses and times the step that processes it.
func (f *scannerFixture) measureBlock() (total, node time.Duration) {
	f.tb.Helper()
	before := f.recorded()
	start := f.chain.head()
	blocks := f.chain.mineAll(f.chain.sendSpread(f.blockTransfers(), f.sz.perTx))
	if len(blocks) != 1 || f.chain.head() != start+1 {
		f.tb.Fatalf("the %d transfers did not fit in one block (%s)", f.sz.transfers, describe(blocks))
	}
	total, node = f.listener.step()
	if got := f.recorded() - before; got != int64(f.sz.transfers) {
		f.tb.Fatalf("the step recorded %d transfers, want %d", got, f.sz.transfers)
	}
	return total, node
}

// measureCatchup mines sz.catchupBlocks ordinary blocks while the scanner is
// idle, each with one transaction of three transfers (one to a watched
// address), then times the step that catches up with them.
func (f *scannerFixture) measureCatchup() (total, node time.Duration) {
	f.tb.Helper()
	before := f.recorded()
	for i := range f.sz.catchupBlocks {
		to := []common.Address{f.recipients[i%len(f.recipients)], f.freshUnwatched(), f.freshUnwatched()}
		// Three transfers to mostly new holders stay far below this gas.
		f.chain.mineAll([]common.Hash{f.chain.sendBatch(i, to, 0)})
	}
	head := f.chain.head()
	total, node = f.listener.step()
	if c := f.listener.scan.Cursor(); c != head {
		f.tb.Fatalf("cursor at %d after the catch-up, head %d", c, head)
	}
	if got := f.recorded() - before; got != int64(f.sz.catchupBlocks) {
		f.tb.Fatalf("the catch-up recorded %d transfers, want %d", got, f.sz.catchupBlocks)
	}
	return total, node
}

// blockTransfers lists the recipients of the big block's transfers: each
// transaction's distinct recipients repeated, so each repeat is cheap.
func (f *scannerFixture) blockTransfers() []common.Address {
	repeat := f.sz.transfers / f.sz.recipients
	distinctPerTx := f.sz.perTx / repeat
	out := make([]common.Address, 0, f.sz.transfers)
	for start := 0; start < len(f.recipients); start += distinctPerTx {
		group := f.recipients[start:min(start+distinctPerTx, len(f.recipients))]
		for range repeat {
			out = append(out, group...)
		}
	}
	return out
}

// freshUnwatched returns an address nobody watches, a new one each time while
// they last.
func (f *scannerFixture) freshUnwatched() common.Address {
	a := f.unwatched[f.next%len(f.unwatched)]
	f.next++
	return a
}

// recorded counts the transfers the listener has recorded, in any status.
func (f *scannerFixture) recorded() int64 {
	return f.listener.countTransfers(store.StatusSeen) + f.listener.countTransfers(store.StatusConfirmed)
}

// BenchmarkScanner measures the chain-listener's scanner against a real
// MariaDB schema and the in-process development chain: loading 1,000,000
// watched addresses, processing one block of 5,000 transfers to watched
// addresses (target: under a second), and catching up 1,000 ordinary blocks
// (target: at least 200 blocks/s). node-ms is the part of the time spent
// waiting for the node's JSON-RPC answers. Run with -benchtime 1x; -short runs
// it with small sizes.
func BenchmarkScanner(b *testing.B) {
	sz := sizesFor(testing.Short())
	f := newScannerFixture(b, sz)

	b.Run(fmt.Sprintf("load/watched=%d", sz.watched+sz.recipients), func(b *testing.B) {
		var sum time.Duration
		var heap uint64
		for range b.N {
			took, h := f.measureLoad()
			sum += took
			heap = max(heap, h)
		}
		b.ReportMetric(float64(sum.Nanoseconds())/float64(b.N), "ns/op")
		b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
	})
	b.Run(fmt.Sprintf("block/transfers=%d/watched=%d", sz.transfers, sz.watched+sz.recipients), func(b *testing.B) {
		var sum, node time.Duration
		for range b.N {
			t, n := f.measureBlock()
			sum, node = sum+t, node+n
		}
		b.ReportMetric(float64(sum.Nanoseconds())/float64(b.N), "ns/op")
		b.ReportMetric(ms(sum)/float64(b.N), "ms/block")
		b.ReportMetric(ms(node)/float64(b.N), "node-ms/block")
		b.ReportMetric(float64(sz.transfers*b.N)/sum.Seconds(), "transfers/s")
	})
	b.Run(fmt.Sprintf("catchup/blocks=%d", sz.catchupBlocks), func(b *testing.B) {
		var sum, node time.Duration
		for range b.N {
			t, n := f.measureCatchup()
			sum, node = sum+t, node+n
		}
		b.ReportMetric(float64(sum.Nanoseconds())/float64(b.N), "ns/op")
		b.ReportMetric(float64(sz.catchupBlocks*b.N)/sum.Seconds(), "blocks/s")
		b.ReportMetric(ms(node)/float64(b.N), "node-ms/op")
	})
}

// TestScannerBenchmarkShort runs the scanner benchmark's code with small sizes
// on every test run, so that it keeps working.
func TestScannerBenchmarkShort(t *testing.T) {
	sz := sizesFor(true)
	f := newScannerFixture(t, sz)
	if took, _ := f.measureLoad(); took <= 0 {
		t.Fatalf("load took %s", took)
	}
	total, node := f.measureBlock()
	t.Logf("block of %d transfers against %d watched: %s (node %s)", sz.transfers, sz.watched+sz.recipients, total, node)
	total, node = f.measureCatchup()
	t.Logf("catch-up of %d blocks: %s (node %s)", sz.catchupBlocks, total, node)
}
