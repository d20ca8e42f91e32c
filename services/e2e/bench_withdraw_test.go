package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Names of the withdraw flow the benchmark uses.
const (
	benchWithdrawKey    = "pay.withdraw"
	benchWithdrawQueue  = "pay.withdraw.queue"
	benchWithdrawReturn = "pay.withdraw.return.queue"
)

// withdrawRun is the outcome of a withdrawal measurement.
type withdrawRun struct {
	n, replicas             int
	submittedTook, confTook time.Duration // first publish to the last submitted notice, to the last final answer
	submittedRate, confRate float64
	latency                 latencyStats // publish to submitted
	cpu, backlog, db        string
}

// measureWithdrawals starts replicas withdraw processes (with their
// development hot wallet funding), publishes n withdrawals of 1 USDT to new
// addresses at once while a block is mined every 200 ms, and measures how fast
// they are submitted (signed and broadcast, status 2) and confirmed (status 1).
func measureWithdrawals(tb testing.TB, n, replicas int) withdrawRun {
	tb.Helper()
	s := NewSuite(tb)
	stop := s.startMiner(100 * time.Millisecond) // mines the hot wallet's funding while the replicas start
	for i := 1; i <= replicas; i++ {
		s.StartAs(fmt.Sprintf("withdraw-%d", i), "withdraw", benchLogLevel)
	}
	s.WaitConsumers(benchWithdrawQueue, replicas)
	stop()
	w := s.watchReturns(benchWithdrawReturn)
	defer s.startMiner(200 * time.Millisecond)()

	ids := make([]string, n)
	to := make([]string, n)
	submitted := make([]string, n)
	final := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("wd-%d", i)
		// New holders derived from a fixed seed: every run pays the same addresses.
		to[i] = strings.ToLower(common.BytesToAddress(crypto.Keccak256([]byte(fmt.Sprintf("paysuite-bench/withdraw/%d", i)))[12:]).Hex())
		submitted[i] = returnKey("submitted", 2, ids[i])
		final[i] = returnKey("withdraw", 1, ids[i])
	}
	es, ef := w.expect(submitted), w.expect(final)
	r := withdrawRun{n: n, replicas: replicas}
	cpu := s.cpuWindow()
	backlog := s.sampleBacklogs([]string{benchWithdrawQueue}, outboxOf("withdraw"))
	db := s.sampleDB("withdraw")
	sent := s.paced(n, 0, func(i int) (string, map[string]any) {
		return benchWithdrawKey, map[string]any{"request_id": ids[i], "to_address": to[i], "amount": "1"}
	})
	timeout := wait + time.Duration(n)*100*time.Millisecond
	gotSubmitted := w.wait(s.t, es, fmt.Sprintf("%d submitted withdrawals", n), timeout)
	r.submittedTook = latest(gotSubmitted).Sub(sent[0])
	gotFinal := w.wait(s.t, ef, fmt.Sprintf("%d confirmed withdrawals", n), timeout)
	r.confTook = latest(gotFinal).Sub(sent[0])
	r.cpu, r.backlog, r.db = cpu.summary(), backlog.finish(), db.finish()
	r.submittedRate = float64(n) / r.submittedTook.Seconds()
	r.confRate = float64(n) / r.confTook.Seconds()
	lat := make([]time.Duration, n)
	for i := range lat {
		lat[i] = gotSubmitted[i].Sub(sent[i])
	}
	r.latency = percentiles(lat)
	s.CheckReturn("withdraw.return.submitted", Message{Body: w.body(submitted[0])})
	s.CheckReturn("withdraw.return.withdraw", Message{Body: w.body(final[n-1])})
	return r
}

// BenchmarkWithdrawals publishes 1,000 withdrawals at once to three withdraw
// replicas sharing one hot wallet and measures how many per second are
// submitted (target: at least 100/s) and confirmed, with a block every 200 ms.
// Run with -benchtime 1x.
func BenchmarkWithdrawals(b *testing.B) {
	n := benchSize(1_000, 10)
	const replicas = 3
	b.Run(fmt.Sprintf("n=%d/replicas=%d", n, replicas), func(b *testing.B) {
		load := loadAverage()
		var sum time.Duration
		var last withdrawRun
		for range b.N {
			last = measureWithdrawals(b, n, replicas)
			sum += last.submittedTook
		}
		b.ReportMetric(float64(sum.Nanoseconds())/float64(b.N), "ns/op")
		b.ReportMetric(float64(n*b.N)/sum.Seconds(), "submitted/s")
		b.ReportMetric(last.confRate, "confirmed/s")
		b.ReportMetric(msOf(last.latency.p50), "p50-submit-ms")
		b.ReportMetric(msOf(last.latency.p99), "p99-submit-ms")
		b.Logf("load average at start %s", load)
		b.Logf("cpu: %s", last.cpu)
		b.Logf("backlog: %s", last.backlog)
		b.Logf("db: %s", last.db)
	})
}

// TestBenchmarkWithdrawalsShort runs the withdrawal benchmark's code with ten
// withdrawals on every test run, so that it keeps working.
func TestBenchmarkWithdrawalsShort(t *testing.T) {
	r := measureWithdrawals(t, 10, 3)
	t.Logf("10 withdrawals, 3 replicas: submitted %.0f/s, confirmed %.0f/s; backlog: %s", r.submittedRate, r.confRate, r.backlog)
}
