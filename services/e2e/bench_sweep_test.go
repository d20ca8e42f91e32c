package e2e

import (
	"database/sql"
	"fmt"
	"math/big"
	"testing"
	"time"

	"paysuite/pkg/events"
)

// Reference price for the cost of a sweep on mainnet: a base fee of 10 gwei
// plus a tip of 1 gwei, 11 gwei a gas unit. The development chain runs
// mainnet's rules (its default hardfork), so the gas units it measures are
// mainnet's for the same token code; only the price is assumed. A transfer
// costs what its token's code makes it cost: the development token's is a
// plain ERC-20, cheaper than some tokens on mainnet (Tether's USDT among them).
const (
	refBaseFeeGwei = 10
	refTipGwei     = 1
	refPriceGwei   = refBaseFeeGwei + refTipGwei
)

// sweepRun is the outcome of a sweep measurement.
type sweepRun struct {
	took                time.Duration // announcement of the addresses to the last sweep done
	rate                float64       // sweeps done per second over took
	firstOpen, lastOpen time.Duration // announcement to the first and the last sweep opened
	fundWait, sweepWait phaseStats    // opened to transfer signed (the funding), signed to done
	gasFund, gasSweep   float64       // mean gas used by a funding and by a sweep transfer
	blocks              int           // blocks mined during the measurement
	fundBlocks          int           // distinct blocks that hold the fundings
	sweepBlocks         int           // distinct blocks that hold the transfers
	leftWei             float64       // mean coin a funding left on its address after the transfer's fee
	cpu, db             string
}

// phaseStats is the mean and the largest duration of one phase of the sweeps.
type phaseStats struct{ mean, max time.Duration }

// measureSweeps runs pay as one process sweeping the suite's chain every
// 200 ms, with SWEEP_MAX_IN_FLIGHT=n so that every due sweep may be open at
// once; gives n deposit addresses 20 USDT each (over the threshold of 10)
// and no coin, settles those deposits before pay knows the addresses, then
// announces them all in one list while a block is mined every 200 ms, and
// measures until every address is swept.
func measureSweeps(tb testing.TB, n int) sweepRun {
	tb.Helper()
	s := NewSuite(tb)
	collection := newAddress(tb)
	env := append(sweepEnv(collection), benchLogLevel, fmt.Sprintf("CHAIN_ETH_SWEEP_MAX_IN_FLIGHT=%d", n))
	s.startPayout("pay", "pay", payQueue, 1, env...)
	s.WaitConsumers(events.AddressListQueue(events.OwnerPay), 1)

	indexes := make([]uint32, n)
	addrs := make([]string, n)
	amounts := make([]string, n)
	for i := range n {
		indexes[i], addrs[i], amounts[i] = uint32(i), depositAddress(tb, uint32(i)), "20"
	}
	const perBatch = 100 // recipients per transferBatch, well inside a block's gas
	for i := 0; i < n; i += perBatch {
		end := min(i+perBatch, n)
		s.SendUSDTBatch(1, addrs[i:end], amounts[i:end])
	}
	s.Mine(confirmations + 1)
	for _, a := range []string{addrs[0], addrs[n-1]} {
		if got := s.tokenBalance(a); got.Cmp(USDT("20")) != 0 {
			tb.Fatalf("deposit address %s holds %s before the sweeps, want 20 USDT", a, got)
		}
	}

	db := s.samplerDB("pay")
	cpu := s.cpuWindow()
	activity := s.sampleDB("pay")
	head := s.Head()
	stop := s.startMiner(200 * time.Millisecond)
	start := time.Now()
	s.announceToPay(indexes, addrs)
	deadline := start.Add(wait + time.Duration(n)*200*time.Millisecond)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		var done, failed int
		if err := db.QueryRow("SELECT COALESCE(SUM(state = 'done'), 0), COALESCE(SUM(state = 'failed'), 0) FROM sweeps").Scan(&done, &failed); err != nil {
			tb.Fatal(err)
		}
		if failed > 0 {
			tb.Fatalf("%d sweeps failed:\n%s", failed, s.query("pay", "SELECT id, address, error FROM sweeps WHERE state = 'failed' LIMIT 5"))
		}
		if done == n {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d of %d sweeps done after %s; by state:\n%s", done, n, time.Since(start),
				s.query("pay", "SELECT state, COUNT(*) FROM sweeps GROUP BY state"))
		}
		<-tick.C
	}
	r := sweepRun{cpu: cpu.summary(), db: activity.finish()}
	stop()
	r.blocks = int(s.Head() - head)

	// pay stores its times in UTC from its own clock, the one this process reads.
	var firstOpen, lastOpen, lastDone string
	row := db.QueryRow("SELECT MIN(created_at), MAX(created_at), MAX(updated_at) FROM sweeps WHERE state = 'done'")
	if err := row.Scan(&firstOpen, &lastOpen, &lastDone); err != nil {
		tb.Fatal(err)
	}
	r.firstOpen = dbTime(tb, firstOpen).Sub(start)
	r.lastOpen = dbTime(tb, lastOpen).Sub(start)
	r.took = dbTime(tb, lastDone).Sub(start)
	r.rate = float64(n) / r.took.Seconds()
	r.fundWait = phaseOf(tb, db, "TIMESTAMPDIFF(MICROSECOND, w.created_at, t.created_at)")
	r.sweepWait = phaseOf(tb, db, "TIMESTAMPDIFF(MICROSECOND, t.created_at, w.updated_at)")

	var fundSends, sweepSends int
	row = db.QueryRow(`SELECT SUM(purpose = 'sweep_fund'), SUM(purpose = 'sweep'),
		AVG(CASE WHEN purpose = 'sweep_fund' THEN gas_used END), AVG(CASE WHEN purpose = 'sweep' THEN gas_used END),
		COUNT(DISTINCT CASE WHEN purpose = 'sweep_fund' THEN block_number END), COUNT(DISTINCT CASE WHEN purpose = 'sweep' THEN block_number END)
		FROM tx_sends WHERE state = 'confirmed' AND purpose IN ('sweep_fund', 'sweep')`)
	if err := row.Scan(&fundSends, &sweepSends, &r.gasFund, &r.gasSweep, &r.fundBlocks, &r.sweepBlocks); err != nil {
		tb.Fatal(err)
	}
	if fundSends != n || sweepSends != n {
		tb.Fatalf("%d fundings and %d transfers confirmed, want one of each per address (%d)", fundSends, sweepSends, n)
	}
	row = db.QueryRow(`SELECT AVG(CAST(w.funded_wei AS DECIMAL(65,0)) - CAST(t.fee AS DECIMAL(65,0)))
		FROM sweeps w JOIN tx_sends t ON t.send_key = w.collect_key WHERE w.state = 'done'`)
	if err := row.Scan(&r.leftWei); err != nil {
		tb.Fatal(err)
	}
	want := new(big.Int).Mul(USDT("20"), big.NewInt(int64(n)))
	if got := s.tokenBalance(collection); got.Cmp(want) != 0 {
		tb.Fatalf("the collection wallet holds %s, want the %s swept", got, want)
	}
	return r
}

// phaseOf is the mean and the largest of diff, microseconds between a done
// sweep (w) and its transfer's send (t).
func phaseOf(tb testing.TB, db *sql.DB, diff string) phaseStats {
	tb.Helper()
	var mean, most float64
	row := db.QueryRow("SELECT AVG(" + diff + "), MAX(" + diff + ") FROM sweeps w JOIN tx_sends t ON t.send_key = w.collect_key WHERE w.state = 'done'")
	if err := row.Scan(&mean, &most); err != nil {
		tb.Fatal(err)
	}
	return phaseStats{mean: time.Duration(mean) * time.Microsecond, max: time.Duration(most) * time.Microsecond}
}

// dbTime reads a DATETIME(6) column that holds UTC.
func dbTime(tb testing.TB, v string) time.Time {
	tb.Helper()
	at, err := time.ParseInLocation("2006-01-02 15:04:05.999999", v, time.UTC)
	if err != nil {
		tb.Fatalf("time %q: %v", v, err)
	}
	return at
}

// ethAt is the ether that gas units cost at gwei a unit.
func ethAt(gas float64, gwei int) float64 { return gas * float64(gwei) / 1e9 }

// BenchmarkSweeps measures how fast one pay process sweeps 500 deposit
// addresses that hold tokens above the threshold and no coin, with a block
// every 200 ms: each sweep is a funding of its gas from the hot wallet
// (confirmed at CONFIRMATIONS depth) and then the token transfer to the
// collection wallet. sweeps/s counts from the announcement of the addresses
// (the next 200 ms round sees them all) to the last sweep done. It reports the
// gas units of a sweep (funding plus transfer), the funding's share, and what
// a sweep costs at the reference price of 10 gwei base fee + 1 gwei tip. One
// replica: a second could not sweep the chain at the same time, as a round
// holds the chain's server lock. Run with -benchtime 1x.
func BenchmarkSweeps(b *testing.B) {
	n := benchSize(500, 10)
	b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
		load := loadAverage()
		var sum time.Duration
		var last sweepRun
		for range b.N {
			last = measureSweeps(b, n)
			sum += last.took
		}
		gas := last.gasFund + last.gasSweep
		b.ReportMetric(float64(sum.Nanoseconds())/float64(b.N), "ns/op")
		b.ReportMetric(float64(n*b.N)/sum.Seconds(), "sweeps/s")
		b.ReportMetric(gas, "gas/sweep")
		b.ReportMetric(last.gasFund, "funding-gas")
		b.ReportMetric(last.gasSweep, "transfer-gas")
		b.ReportMetric(100*last.gasFund/gas, "funding-%")
		b.ReportMetric(ethAt(gas, refPriceGwei), fmt.Sprintf("eth/sweep@%dgwei", refPriceGwei))
		b.ReportMetric(msOf(last.lastOpen), "all-open-ms")
		b.Logf("load average at start %s", load)
		b.Logf("reference price %d gwei base fee + %d gwei tip: a sweep %.0f gas = %.6f ETH, the funding %.6f ETH of it (%.0f%%)",
			refBaseFeeGwei, refTipGwei, gas, ethAt(gas, refPriceGwei), ethAt(last.gasFund, refPriceGwei), 100*last.gasFund/gas)
		b.Logf("phases: first sweep opened %.0f ms and the last %.0f ms after the announcement; opened to transfer signed (funding) mean %.0f ms, max %.0f ms; signed to done mean %.0f ms, max %.0f ms",
			msOf(last.firstOpen), msOf(last.lastOpen), msOf(last.fundWait.mean), msOf(last.fundWait.max), msOf(last.sweepWait.mean), msOf(last.sweepWait.max))
		b.Logf("blocks: %d mined, fundings in %d of them, transfers in %d; a funding left %.0f wei on its address after the transfer's fee",
			last.blocks, last.fundBlocks, last.sweepBlocks, last.leftWei)
		b.Logf("cpu: %s", last.cpu)
		b.Logf("db: %s", last.db)
	})
}

// TestBenchmarkSweepsShort runs the sweep benchmark's code with ten deposit
// addresses on every test run, so that it keeps working.
func TestBenchmarkSweepsShort(t *testing.T) {
	r := measureSweeps(t, 10)
	t.Logf("10 sweeps: %.1f/s, %.0f gas a sweep (funding %.0f, transfer %.0f)", r.rate, r.gasFund+r.gasSweep, r.gasFund, r.gasSweep)
}
