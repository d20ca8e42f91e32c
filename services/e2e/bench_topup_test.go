package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// benchConfirmations is the confirmation depth of the deposit benchmark: deeper
// than the blocks its transfers spread over, so that no deposit is confirmed
// while the pending ones are being counted.
const benchConfirmations = 12

// startTopupBench runs the chain-listener and topup at a deployment's log level
// and watches topup's return queue; a few registrations warm the path (broker
// channels, database connections) before anything is measured.
func startTopupBench(tb testing.TB) (*Suite, *returnWatch) {
	tb.Helper()
	s := NewSuite(tb)
	s.Start("chain-listener", benchLogLevel, fmt.Sprintf("CONFIRMATIONS=%d", benchConfirmations))
	s.Start("topup", benchLogLevel)
	s.WaitConsumers(listenerWatches, 1)
	s.WaitConsumers("pay.topup.queue", 1)
	w := s.watchReturns(topupReturn)
	registerAll(s, w, "warm", 20, 0)
	return s, w
}

// registerAll publishes n topup requests (request ids prefix-0…) at rate per
// second (0: as fast as possible), waits for every registered answer and
// returns the request ids, the publish (or scheduled) times and the arrival
// times of the answers.
func registerAll(s *Suite, w *returnWatch, prefix string, n int, rate float64) (ids []string, sent, got []time.Time) {
	return registerAllOn(s, w, prefix, n, rate, "")
}

// registerAllOn is registerAll with the requests naming chain (none when
// empty: the default chain).
func registerAllOn(s *Suite, w *returnWatch, prefix string, n int, rate float64, chain string) (ids []string, sent, got []time.Time) {
	s.t.Helper()
	ids = make([]string, n)
	keys := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%d", prefix, i)
		keys[i] = returnKey("registered", 1, ids[i])
	}
	e := w.expect(keys)
	sent = s.paced(n, rate, func(i int) (string, map[string]any) {
		req := map[string]any{"request_id": ids[i], "user_id": "u-" + ids[i]}
		if chain != "" {
			req["chain"] = chain
		}
		return topupKey, req
	})
	got = w.wait(s.t, e, fmt.Sprintf("%d registrations", n), wait+time.Duration(n)*50*time.Millisecond)
	for _, k := range []string{keys[0], keys[n-1]} {
		s.CheckReturn("topup.return.registered", Message{Body: w.body(k)})
	}
	return ids, sent, got
}

func latest(ts []time.Time) time.Time {
	return slices.MaxFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
}

// settle waits until the listener and topup have worked off their queues, so
// that one measurement does not pay for the previous one's tail.
func settle(s *Suite) {
	s.t.Helper()
	s.waitDrained(listenerWatches, 5*time.Minute)
	s.waitDrained("pay.topup.queue", 5*time.Minute)
}

// registrationRun is the outcome of a registration measurement.
type registrationRun struct {
	n       int
	took    time.Duration // first publish to last answer
	rate    float64       // answers per second over took
	offered float64       // requests per second actually published
	latency latencyStats  // scheduled publish to answer
	// split divides the latency at the registration's insert: waiting and
	// handling before it, committing and relaying the answer after it.
	split   string
	cpu     string
	backlog string
	db      string
}

// measureRegistrations registers n addresses published at rate (0: as fast as
// possible) and measures the completion rate and the latencies.
func measureRegistrations(s *Suite, w *returnWatch, prefix string, n int, rate float64) registrationRun {
	s.t.Helper()
	settle(s)
	cpu := s.cpuWindow()
	backlog := s.sampleBacklogs([]string{"pay.topup.queue", listenerWatches}, outboxOf("topup"))
	db := s.sampleDB("topup", "chain-listener")
	_, sent, got := registerAll(s, w, prefix, n, rate)
	r := registrationRun{n: n, took: latest(got).Sub(sent[0]), cpu: cpu.summary(), backlog: backlog.finish(), db: db.finish()}
	r.rate = float64(n) / r.took.Seconds()
	if span := sent[n-1].Sub(sent[0]); span > 0 {
		r.offered = float64(n-1) / span.Seconds()
	}
	lat := make([]time.Duration, n)
	for i := range lat {
		lat[i] = got[i].Sub(sent[i])
	}
	r.latency = percentiles(lat)
	r.split = s.latencySplit(prefix, sent, got)
	return r
}

// latencySplit reads when each registration row was inserted and summarises
// the latency before and after that moment.
func (s *Suite) latencySplit(prefix string, sent, got []time.Time) string {
	s.t.Helper()
	rows, err := s.samplerDB("topup").QueryContext(s.t.Context(),
		"SELECT request_id, CAST(UNIX_TIMESTAMP(created_at) * 1000000 AS SIGNED) FROM registrations WHERE request_id LIKE ?", prefix+"-%")
	if err != nil {
		s.t.Fatal(err)
	}
	defer rows.Close()
	var before, after []time.Duration
	for rows.Next() {
		var id string
		var micros int64
		if err := rows.Scan(&id, &micros); err != nil {
			s.t.Fatal(err)
		}
		i, err := strconv.Atoi(strings.TrimPrefix(id, prefix+"-"))
		if err != nil || i >= len(sent) {
			s.t.Fatalf("request id %q", id)
		}
		inserted := time.UnixMicro(micros)
		before = append(before, inserted.Sub(sent[i]))
		after = append(after, got[i].Sub(inserted))
	}
	if err := rows.Err(); err != nil {
		s.t.Fatal(err)
	}
	b, a := percentiles(before), percentiles(after)
	return fmt.Sprintf("request to insert p50 %.0f ms, p99 %.0f ms; insert to answer received p50 %.0f ms, p99 %.0f ms",
		msOf(b.p50), msOf(b.p99), msOf(a.p50), msOf(a.p99))
}

// depositRun is the outcome of a deposit measurement.
type depositRun struct {
	n      int
	blocks int
	// retries counts the transfer events topup failed and requeued, and
	// deadlocks those that failed on an InnoDB deadlock.
	retries, deadlocks     int
	pendingTook, confTook  time.Duration // first block mined to last pending; confirming blocks mined to last confirmed
	pendingRate, confRate  float64
	pendingCPU, confirmCPU string
	pendingBacklog         string
	pendingDB              string
}

// measureDeposits registers n addresses, waits until the listener watches them
// all, sends each a transfer (sendToEach), then mines the blocks that hold them and
// measures how fast the pending deposits (status 2) come back; then mines the
// confirming blocks and measures the confirmed ones (status 1).
func measureDeposits(s *Suite, w *returnWatch, prefix string, n int) depositRun {
	s.t.Helper()
	ids, addrs := registerWatched(s, w, prefix, n, "")
	settle(s)
	hashes := s.On("ETH").sendToEach(addrs)
	pendingKeys := make([]string, n)
	confirmedKeys := make([]string, n)
	for i, id := range ids {
		pendingKeys[i] = returnKey("deposit", 2, id)
		confirmedKeys[i] = returnKey("deposit", 1, id)
	}
	r := depositRun{n: n}
	pending := w.expect(pendingKeys)
	cpu := s.cpuWindow()
	backlog := s.sampleBacklogs([]string{"internal.topup.transfer.queue"}, outboxOf("chain-listener"), outboxOf("topup"))
	db := s.sampleDB("topup", "chain-listener")
	start := time.Now()
	r.blocks = s.On("ETH").mineIncluded(hashes)
	got := w.wait(s.t, pending, fmt.Sprintf("%d pending deposits", n), wait+time.Duration(n)*50*time.Millisecond)
	r.pendingTook = latest(got).Sub(start)
	r.pendingRate = float64(n) / r.pendingTook.Seconds()
	r.pendingCPU = cpu.summary()
	r.pendingBacklog = backlog.finish()
	r.pendingDB = db.finish()
	s.CheckReturn("topup.return.deposit", Message{Body: w.body(pendingKeys[0])})

	confirmed := w.expect(confirmedKeys)
	cpu = s.cpuWindow()
	start = time.Now()
	s.Mine(benchConfirmations)
	got = w.wait(s.t, confirmed, fmt.Sprintf("%d confirmed deposits", n), wait+time.Duration(n)*50*time.Millisecond)
	r.confTook = latest(got).Sub(start)
	r.confRate = float64(n) / r.confTook.Seconds()
	r.confirmCPU = cpu.summary()
	s.CheckReturn("topup.return.deposit", Message{Body: w.body(confirmedKeys[n-1])})
	r.retries = s.logCount("topup", "handler failed; requeueing")
	r.deadlocks = s.logCount("topup", "Deadlock found")
	return r
}

// registerWatched registers n fresh addresses on chain (the default one when
// empty) and waits until the listener watches every address registered so
// far (the warm-up's too), so that the scan finds their transfers, not the
// backfill. It returns the request ids and the addresses.
func registerWatched(s *Suite, w *returnWatch, prefix string, n int, chain string) (ids, addrs []string) {
	s.t.Helper()
	ids, _, _ = registerAllOn(s, w, prefix, n, 0, chain)
	addrs = make([]string, n)
	for i, id := range ids {
		var reg struct {
			Address string `json:"address"`
		}
		if err := json.Unmarshal(w.body(returnKey("registered", 1, id)), &reg); err != nil || reg.Address == "" {
			s.t.Fatalf("registration %s without an address: %v", id, err)
		}
		addrs[i] = reg.Address
	}
	deadline := time.Now().Add(5 * time.Minute)
	for s.sqlCount("chain-listener", "SELECT COUNT(*) FROM watched WHERE backfill_pending = 0") < s.sqlCount("topup", "SELECT COUNT(*) FROM registrations") {
		if time.Now().After(deadline) {
			s.t.Fatal("the listener never watched every registered address")
		}
		time.Sleep(200 * time.Millisecond)
	}
	return ids, addrs
}

// sendToEach sends 1.5 test USDT to each of addrs on the chain, 100 per
// transferBatch transaction (a transfer to a new holder costs about 115k gas
// there, and one transaction may use at most 16.7M), from development
// accounts 1-9 in turn, and returns the transactions' hashes.
func (c *ChainOn) sendToEach(addrs []string) []common.Hash {
	const perTx = 100
	var hashes []common.Hash
	for i := 0; i*perTx < len(addrs); i++ {
		chunk := addrs[i*perTx : min((i+1)*perTx, len(addrs))]
		amounts := make([]string, len(chunk))
		for j := range amounts {
			amounts[j] = "1.5"
		}
		hashes = append(hashes, c.SendUSDTBatch(1+i%9, chunk, amounts))
	}
	return hashes
}

// mineIncluded mines blocks on the chain until every transaction of hashes
// is in one and succeeded, and returns the number of blocks mined.
func (c *ChainOn) mineIncluded(hashes []common.Hash) int {
	s := c.s
	s.t.Helper()
	left := hashes
	blocks := 0
	for len(left) > 0 {
		if blocks == 100 {
			s.t.Fatalf("%d transactions still not mined on %s after %d blocks", len(left), c.Name, blocks)
		}
		c.Mine(1)
		blocks++
		var still []common.Hash
		for _, h := range left {
			r, err := c.Eth.TransactionReceipt(s.t.Context(), h)
			if err != nil {
				still = append(still, h)
				continue
			}
			if r.Status != 1 {
				s.t.Fatalf("transaction %s failed", h)
			}
		}
		left = still
	}
	return blocks
}

// benchRates returns the offered rates of the latency benchmark: the
// comma-separated BENCH_TOPUP_RATES, 500 per second by default.
func benchRates(tb testing.TB) []float64 {
	spec := os.Getenv("BENCH_TOPUP_RATES")
	if spec == "" {
		spec = "500"
	}
	var out []float64
	for _, part := range strings.Split(spec, ",") {
		r, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil || r <= 0 {
			tb.Fatalf("BENCH_TOPUP_RATES: %q is not a positive rate", part)
		}
		out = append(out, r)
	}
	return out
}

// BenchmarkTopupRegistrations publishes 2,000 topup requests as fast as one
// publisher can and measures how fast the registered answers come back
// (target: at least 1,000/s). Run with -benchtime 1x.
func BenchmarkTopupRegistrations(b *testing.B) {
	n := benchSize(2_000, 20)
	b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
		s, w := startTopupBench(b)
		load := loadAverage()
		var sum time.Duration
		var last registrationRun
		for i := range b.N {
			last = measureRegistrations(s, w, fmt.Sprintf("reg%d", i), n, 0)
			sum += last.took
		}
		b.ReportMetric(float64(sum.Nanoseconds())/float64(b.N), "ns/op")
		b.ReportMetric(float64(n*b.N)/sum.Seconds(), "registrations/s")
		b.ReportMetric(last.offered, "published/s")
		b.ReportMetric(float64(s.logCount("topup", "handler failed; requeueing")), "requeued")
		b.Logf("load average at start %s", load)
		b.Logf("cpu: %s", last.cpu)
		b.Logf("backlog: %s", last.backlog)
		b.Logf("db: %s", last.db)
	})
}

// BenchmarkTopupLatency offers topup requests at a fixed rate for
// BENCH_TOPUP_SECONDS (10 by default) and measures the latency from each
// request's scheduled publish time to its registered answer (target: p99
// under 100 ms at 500/s). BENCH_TOPUP_RATES lists the rates (500 by default).
// Run with -benchtime 1x.
func BenchmarkTopupLatency(b *testing.B) {
	secs := 10.0
	if v := os.Getenv("BENCH_TOPUP_SECONDS"); v != "" {
		var err error
		if secs, err = strconv.ParseFloat(v, 64); err != nil || secs <= 0 {
			b.Fatalf("BENCH_TOPUP_SECONDS: %q", v)
		}
	}
	for _, rate := range benchRates(b) {
		n := benchSize(int(rate*secs), 20)
		b.Run(fmt.Sprintf("rate=%g", rate), func(b *testing.B) {
			s, w := startTopupBench(b)
			load := loadAverage()
			var last registrationRun
			for i := range b.N {
				last = measureRegistrations(s, w, fmt.Sprintf("lat%d", i), n, rate)
			}
			b.ReportMetric(float64(last.took.Nanoseconds()), "ns/op")
			b.ReportMetric(msOf(last.latency.p50), "p50-ms")
			b.ReportMetric(msOf(last.latency.p99), "p99-ms")
			b.ReportMetric(msOf(last.latency.max), "max-ms")
			b.ReportMetric(last.offered, "offered/s")
			b.ReportMetric(last.rate, "registrations/s")
			b.Logf("%d requests offered at %.0f/s; load average at start %s", n, last.offered, load)
			b.Logf("cpu: %s", last.cpu)
			b.Logf("latency split: %s", last.split)
			b.Logf("backlog: %s", last.backlog)
			b.Logf("db: %s", last.db)
		})
	}
}

// BenchmarkDeposits registers 2,000 addresses, sends each a transfer in
// transferBatch transactions mined back to back, and measures how fast topup
// reports them pending (target: at least 1,000/s), then confirmed. Run with
// -benchtime 1x.
func BenchmarkDeposits(b *testing.B) {
	n := benchSize(2_000, 20)
	b.Run(fmt.Sprintf("addresses=%d", n), func(b *testing.B) {
		s, w := startTopupBench(b)
		load := loadAverage()
		var last depositRun
		var sum time.Duration
		for i := range b.N {
			last = measureDeposits(s, w, fmt.Sprintf("dep%d", i), n)
			sum += last.pendingTook
		}
		b.ReportMetric(float64(sum.Nanoseconds())/float64(b.N), "ns/op")
		b.ReportMetric(float64(n*b.N)/sum.Seconds(), "pending/s")
		b.ReportMetric(last.confRate, "confirmed/s")
		b.ReportMetric(float64(last.blocks), "blocks")
		b.ReportMetric(float64(last.retries), "requeued")
		b.ReportMetric(float64(last.deadlocks), "deadlocks")
		b.Logf("load average at start %s", load)
		b.Logf("cpu while pending: %s", last.pendingCPU)
		b.Logf("backlog while pending: %s", last.pendingBacklog)
		b.Logf("db while pending: %s", last.pendingDB)
		b.Logf("cpu while confirming: %s", last.confirmCPU)
	})
}

// TestBenchmarksTopupShort runs the registration, latency and deposit
// benchmarks' code with 20 requests each on every test run, so that it keeps
// working.
func TestBenchmarksTopupShort(t *testing.T) {
	s, w := startTopupBench(t)
	r := measureRegistrations(s, w, "short-reg", 20, 0)
	t.Logf("20 registrations: %.0f/s; backlog: %s; db: %s", r.rate, r.backlog, r.db)
	r = measureRegistrations(s, w, "short-lat", 20, 100)
	t.Logf("20 registrations offered at %.0f/s: p50 %s, p99 %s", r.offered, r.latency.p50, r.latency.p99)
	d := measureDeposits(s, w, "short-dep", 20)
	t.Logf("20 deposits in %d block(s): pending %.0f/s, confirmed %.0f/s; %d events requeued, %d after a deadlock",
		d.blocks, d.pendingRate, d.confRate, d.retries, d.deadlocks)
}
