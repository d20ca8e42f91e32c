package e2e

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// chainsDepositRun is the outcome of a deposit measurement on two chains at
// once: how fast each chain's pending deposits came back, and all of them.
type chainsDepositRun struct {
	n              int // deposits per chain
	blocks         map[string]int
	rate           map[string]float64
	total          float64
	cpu, backlog   string
	pendingTook    time.Duration
	confirmedTook  time.Duration
	confirmedTotal float64
}

// startChainsBench runs the listener and topup serving ETH and BSC for the
// deposit benchmark, and warms them up with a registration on each chain.
func startChainsBench(tb testing.TB) (*Suite, *ChainOn, *returnWatch) {
	tb.Helper()
	s, bsc := NewSuiteTwoChains(tb)
	depth := fmt.Sprint(benchConfirmations)
	s.Start("chain-listener", benchLogLevel, "CHAIN_ETH_CONFIRMATIONS="+depth, "CHAIN_BSC_CONFIRMATIONS="+depth)
	s.Start("topup", benchLogLevel, "CHAIN_ETH_CONFIRMATIONS="+depth, "CHAIN_BSC_CONFIRMATIONS="+depth)
	s.WaitConsumers(listenerWatches, 1)
	s.WaitConsumers("pay.topup.queue", 1)
	w := s.watchReturns(topupReturn)
	registerAllOn(s, w, "warm-eth", 10, 0, "ETH")
	registerAllOn(s, w, "warm-bsc", 10, 0, "BSC")
	return s, bsc, w
}

// measureChainsDeposits registers n addresses on each of ETH and BSC, sends
// each a transfer, then mines both chains' blocks at the same time and
// measures how fast the pending deposits come back, per chain and in all;
// then the confirmed ones.
func measureChainsDeposits(s *Suite, w *returnWatch, prefix string, n int) chainsDepositRun {
	s.t.Helper()
	chains := []*ChainOn{s.On("ETH"), s.On("BSC")}
	ids := map[string][]string{}
	hashes := map[string][]common.Hash{}
	for _, c := range chains {
		var addrs []string
		ids[c.Name], addrs = registerWatched(s, w, prefix+"-"+c.Name, n, c.Name)
		hashes[c.Name] = c.sendToEach(addrs)
	}
	settle(s)
	// expect waits, per chain, for the deposits of its requests with status.
	expect := func(status int) map[string]*expectation {
		per := map[string]*expectation{}
		for _, c := range chains {
			var k []string
			for _, id := range ids[c.Name] {
				k = append(k, returnKey("deposit", status, id))
			}
			per[c.Name] = w.expect(k)
		}
		return per
	}
	r := chainsDepositRun{n: n, blocks: map[string]int{}, rate: map[string]float64{}}
	pending := expect(2)
	cpu := s.cpuWindow()
	backlog := s.sampleBacklogs([]string{"internal.topup.transfer.queue"}, outboxOf("chain-listener"), outboxOf("topup"))
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, c := range chains {
		wg.Go(func() {
			blocks := c.mineIncluded(hashes[c.Name])
			mu.Lock()
			r.blocks[c.Name] = blocks
			mu.Unlock()
		})
	}
	wg.Wait()
	var last time.Time
	for _, c := range chains {
		got := w.wait(s.t, pending[c.Name], fmt.Sprintf("%d pending deposits on %s", n, c.Name), wait+time.Duration(n)*50*time.Millisecond)
		l := latest(got)
		r.rate[c.Name] = float64(n) / l.Sub(start).Seconds()
		if l.After(last) {
			last = l
		}
	}
	r.pendingTook = last.Sub(start)
	r.total = float64(len(chains)*n) / r.pendingTook.Seconds()
	r.cpu, r.backlog = cpu.summary(), backlog.finish()
	for _, c := range chains {
		s.CheckReturn("topup.return.deposit", Message{Body: w.body(returnKey("deposit", 2, ids[c.Name][0]))})
	}

	confirmed := expect(1)
	start = time.Now()
	for _, c := range chains {
		wg.Go(func() { c.Mine(benchConfirmations) })
	}
	wg.Wait()
	last = time.Time{}
	for _, c := range chains {
		got := w.wait(s.t, confirmed[c.Name], fmt.Sprintf("%d confirmed deposits on %s", n, c.Name), wait+time.Duration(n)*50*time.Millisecond)
		if l := latest(got); l.After(last) {
			last = l
		}
	}
	r.confirmedTook = last.Sub(start)
	r.confirmedTotal = float64(len(chains)*n) / r.confirmedTook.Seconds()
	return r
}

// BenchmarkDepositsTwoChains is BenchmarkDeposits with both development
// chains active at once: 2,000 deposits on ETH and 2,000 on BSC (18
// decimals), their blocks mined at the same time. It reports each chain's
// pending deposits per second and their sum, to set against the single-chain
// figure. Run with -benchtime 1x.
func BenchmarkDepositsTwoChains(b *testing.B) {
	n := benchSize(2_000, 20)
	b.Run(fmt.Sprintf("addresses=%dx2", n), func(b *testing.B) {
		s, _, w := startChainsBench(b)
		load := loadAverage()
		var last chainsDepositRun
		var sum time.Duration
		for i := range b.N {
			last = measureChainsDeposits(s, w, fmt.Sprintf("dep%d", i), n)
			sum += last.pendingTook
		}
		b.ReportMetric(float64(sum.Nanoseconds())/float64(b.N), "ns/op")
		b.ReportMetric(float64(2*n*b.N)/sum.Seconds(), "pending/s")
		b.ReportMetric(last.rate["ETH"], "eth-pending/s")
		b.ReportMetric(last.rate["BSC"], "bsc-pending/s")
		b.ReportMetric(last.confirmedTotal, "confirmed/s")
		b.ReportMetric(float64(last.blocks["ETH"]+last.blocks["BSC"]), "blocks")
		b.ReportMetric(float64(s.logCount("topup", "handler failed; requeueing")), "requeued")
		b.Logf("load average at start %s", load)
		b.Logf("cpu while pending: %s", last.cpu)
		b.Logf("backlog while pending: %s", last.backlog)
	})
}

// TestBenchmarkDepositsTwoChainsShort runs the two-chain deposit benchmark's
// code with 20 deposits per chain on every test run, so that it keeps working.
func TestBenchmarkDepositsTwoChainsShort(t *testing.T) {
	s, _, w := startChainsBench(t)
	r := measureChainsDeposits(s, w, "short", 20)
	t.Logf("20 deposits on each chain: ETH %.0f/s, BSC %.0f/s, both %.0f/s pending; %.0f/s confirmed",
		r.rate["ETH"], r.rate["BSC"], r.total, r.confirmedTotal)
}
