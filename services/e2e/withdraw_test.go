package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// startWithdraw runs one withdraw replica and follows its return queue.
func startWithdraw(t *testing.T, extra ...string) (*Suite, *Collector) {
	s := NewSuite(t)
	return s, s.runWithdraw(extra...)
}

// runWithdraw runs one withdraw replica on s and follows its return queue.
func (s *Suite) runWithdraw(extra ...string) *Collector {
	s.startPayout("withdraw", "withdraw", withdrawQueue, 1, extra...)
	return s.Collect(withdrawReturn)
}

func withdrawal(id, to, amount string) map[string]any {
	return map[string]any{"request_id": id, "to_address": to, "amount": amount}
}

// TestWithdrawHundredWithThreeReplicas publishes 100 withdrawals at once to
// three replicas: every one is confirmed, the hot wallet's nonces are used
// once each without a gap, and every recipient gets exactly its amount.
func TestWithdrawHundredWithThreeReplicas(t *testing.T) {
	s := NewSuite(t)
	for i := 1; i <= 3; i++ {
		s.startPayout(fmt.Sprintf("withdraw-%d", i), "withdraw", withdrawQueue, i)
	}
	c := s.Collect(withdrawReturn)
	stop := s.startMiner(200 * time.Millisecond)
	defer stop()

	// One withdrawal alone first: its time from request to submitted notice is
	// the service's latency without a queue in front of it.
	sent := time.Now()
	s.Publish(withdrawKey, withdrawal("single", newAddress(t), "1"))
	single := waitEvent(t, c, "single", "submitted")
	t.Logf("a lone withdrawal: request to submitted in %s", single.At.Sub(sent).Round(time.Millisecond))
	waitEvent(t, c, "single", "withdraw")

	const n = 100
	reqs := make([]map[string]any, n)
	to := make([]string, n)
	for i := range reqs {
		to[i] = newAddress(t)
		reqs[i] = withdrawal(fmt.Sprintf("many-%03d", i), to[i], amountOf(i))
	}
	// Two requests in the burst must be answered alone, not signed with the
	// withdrawals around them: a repeated request_id and an invalid amount.
	burst := slices.Concat(reqs[:50], []map[string]any{withdrawal("many-007", to[7], amountOf(7))},
		reqs[50:], []map[string]any{withdrawal("burst-bad", newAddress(t), "0")})
	start := time.Now()
	s.publishSigned(withdrawKey, burst)
	published := time.Now()
	finalOK := func(m Message) bool {
		return m.Str("event") == "withdraw" && strings.HasPrefix(m.Str("request_id"), "many-")
	}
	msgs := c.WaitFor(t, "100 final answers", 3*time.Minute, func(ms []Message) bool {
		return len(distinctReturns(Find(ms, finalOK))) >= n
	})
	done := time.Now()

	hot := devAddress(t, withdrawHotPath)
	nonces := map[uint64]string{}
	var lastSubmitted time.Time
	var latencies []time.Duration
	for i := range n {
		id := fmt.Sprintf("many-%03d", i)
		finals := Find(msgs, eventOf(id, "withdraw"))
		sameBodies(t, id, finals)
		f := finals[0]
		s.CheckReturn("withdraw.return.withdraw", f)
		if f.Num("status") != 1 || USDT(f.Str("amount")).Cmp(USDT(amountOf(i))) != 0 || f.Str("to_address") != to[i] {
			t.Fatalf("final of %s: %s", id, f.Body)
		}
		sub := Find(msgs, eventOf(id, "submitted"))
		if len(sub) == 0 {
			t.Fatalf("no submitted notice for %s", id)
		}
		s.CheckReturn("withdraw.return.submitted", sub[0])
		latencies = append(latencies, sub[0].At.Sub(start))
		if sub[0].At.After(lastSubmitted) {
			lastSubmitted = sub[0].At
		}
		tx, _, err := s.Eth.TransactionByHash(t.Context(), common.HexToHash(f.Str("tx_hash")))
		if err != nil {
			t.Fatalf("transaction of %s: %v", id, err)
		}
		from, err := types.Sender(types.LatestSignerForChainID(tx.ChainId()), tx)
		if err != nil || from != hot {
			t.Fatalf("%s sent by %s, not the hot wallet %s", id, from, hot)
		}
		if prev, dup := nonces[tx.Nonce()]; dup {
			t.Fatalf("nonce %d used by %s and %s", tx.Nonce(), prev, id)
		}
		nonces[tx.Nonce()] = id
		if got := s.tokenBalance(to[i]); got.Cmp(USDT(amountOf(i))) != 0 {
			t.Fatalf("recipient of %s holds %s base units, want %s", id, got, USDT(amountOf(i)))
		}
		if k := s.transfersTo(to[i]); k != 1 {
			t.Fatalf("recipient of %s got %d transfers", id, k)
		}
	}
	for i := range uint64(n) {
		if _, ok := nonces[i+1]; !ok { // nonce 0 went to the lone withdrawal
			t.Fatalf("nonce %d of the hot wallet was skipped", i)
		}
	}
	bad := waitEvent(t, c, "burst-bad", "withdraw")
	if bad.Num("status") != 0 || bad.Str("error") != "invalid_amount" {
		t.Fatalf("answer to an invalid amount in the burst: %s", bad.Body)
	}
	if got := s.nonceOf(hot); got != n+1 {
		t.Fatalf("the hot wallet sent %d transactions, want %d", got, n+1)
	}
	slices.Sort(latencies)
	t.Logf("100 withdrawals, 3 replicas: published in %s; all submitted after %s (%.1f withdrawals/s); all confirmed after %s",
		published.Sub(start).Round(time.Millisecond), lastSubmitted.Sub(start).Round(time.Millisecond),
		float64(n)/lastSubmitted.Sub(start).Seconds(), done.Sub(start).Round(time.Millisecond))
	t.Logf("request to submitted: median %s, p90 %s, max %s (all published at once, so this includes queueing)",
		latencies[n/2].Round(time.Millisecond), latencies[n*9/10].Round(time.Millisecond), latencies[n-1].Round(time.Millisecond))
}

// distinctReturns keeps one message per (request_id, event, status).
func distinctReturns(msgs []Message) []Message {
	seen := map[string]bool{}
	var out []Message
	for _, m := range msgs {
		k := fmt.Sprintf("%s|%s|%d", m.Str("request_id"), m.Str("event"), m.Num("status"))
		if !seen[k] {
			seen[k] = true
			out = append(out, m)
		}
	}
	return out
}

// TestWithdrawSameRequestIDRepeated publishes one request_id before, during
// and after its processing: the funds move once and every answer is the same.
func TestWithdrawSameRequestIDRepeated(t *testing.T) { withdrawSameRequestIDRepeated(t, NewSuite(t)) }

// withdrawSameRequestIDRepeated is TestWithdrawSameRequestIDRepeated on s: a
// withdrawal paid from the hot wallet, requested three times.
func withdrawSameRequestIDRepeated(t *testing.T, s *Suite) {
	c := s.runWithdraw()
	to := newAddress(t)
	req := func() map[string]any { return withdrawal("dup-1", to, "3.25") }

	s.publishSigned(withdrawKey, []map[string]any{req(), req()}) // the second arrives before the first is done
	sub := waitEvent(t, c, "dup-1", "submitted")
	s.CheckReturn("withdraw.return.submitted", sub)
	s.Publish(withdrawKey, req()) // during: not mined yet
	c.WaitFor(t, "the submitted notice again", wait, func(ms []Message) bool {
		return len(Find(ms, eventOf("dup-1", "submitted"))) >= 2
	})

	stop := s.startMiner(100 * time.Millisecond)
	final := waitEvent(t, c, "dup-1", "withdraw")
	stop()
	s.CheckReturn("withdraw.return.withdraw", final)
	if final.Num("status") != 1 || final.Str("amount") != "3.25" {
		t.Fatalf("final: %s", final.Body)
	}
	s.Publish(withdrawKey, req()) // after
	msgs := c.WaitFor(t, "the final answer again", wait, func(ms []Message) bool {
		return len(Find(ms, eventOf("dup-1", "withdraw"))) >= 2
	})
	sameBodies(t, "final of dup-1", Find(msgs, eventOf("dup-1", "withdraw")))
	sameBodies(t, "submitted of dup-1", Find(msgs, eventOf("dup-1", "submitted")))
	if got := s.tokenBalance(to); got.Cmp(USDT("3.25")) != 0 || s.transfersTo(to) != 1 {
		t.Fatalf("recipient holds %s after %d transfers", got, s.transfersTo(to))
	}
	if n := s.nonceOf(devAddress(t, withdrawHotPath)); n != 1 {
		t.Fatalf("the hot wallet sent %d transactions", n)
	}
}

// TestWithdrawCrash kills withdraw right after it signed (and, separately,
// right after it broadcast) a withdrawal; after a restart the withdrawal is
// paid exactly once.
func TestWithdrawCrash(t *testing.T) {
	for _, point := range []string{"after_sign", "after_broadcast"} {
		t.Run(point, func(t *testing.T) {
			crash := []string{"PAYOUT_CRASH_AT=" + point, "PAYOUT_CRASH_ONCE_FILE=" + t.TempDir() + "/crashed"}
			s, c := startWithdraw(t, crash...)
			stop := s.startMiner(100 * time.Millisecond)
			defer stop()
			to := newAddress(t)
			s.Publish(withdrawKey, withdrawal("crash-"+point, to, "7"))
			s.waitExit("withdraw", wait)
			if !s.lastLogContains("withdraw", "test crash hook") {
				t.Fatal("withdraw exited, but not at the crash hook")
			}
			if point == "after_sign" {
				s.Mine(2)
				if s.transfersTo(to) != 0 {
					t.Fatal("a transfer was mined although the process died before broadcasting")
				}
			} else {
				// It was broadcast before the crash: it is mined without the service.
				deadline := time.Now().Add(wait)
				for s.transfersTo(to) == 0 {
					if time.Now().After(deadline) {
						t.Fatal("the transfer broadcast before the crash was never mined")
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
			s.Start("withdraw", crash...) // the once-file keeps it from crashing again
			final := waitEvent(t, c, "crash-"+point, "withdraw")
			s.CheckReturn("withdraw.return.withdraw", final)
			if final.Num("status") != 1 {
				t.Fatalf("final: %s", final.Body)
			}
			// Let a few more blocks pass: a second transfer, if any, would show.
			s.Mine(confirmations + 2)
			if got := s.tokenBalance(to); got.Cmp(USDT("7")) != 0 || s.transfersTo(to) != 1 {
				t.Fatalf("recipient holds %s after %d transfers", got, s.transfersTo(to))
			}
			if n := s.nonceOf(devAddress(t, withdrawHotPath)); n != 1 {
				t.Fatalf("the hot wallet sent %d transactions", n)
			}
		})
	}
}

// TestWithdrawStuckTransactions drops a withdrawal's transaction from the
// node's pool, then sends one priced below what the miner takes: the first is
// sent again, the second replaced (once the operator raises the limit and
// restarts), and both are confirmed once.
func TestWithdrawStuckTransactions(t *testing.T) {
	s, c := startWithdraw(t, "REPLACE_AFTER=2s", "REBROADCAST_AFTER=500ms")

	// Dropped from the pool.
	to := newAddress(t)
	s.Publish(withdrawKey, withdrawal("stuck-drop", to, "1.5"))
	sub := waitEvent(t, c, "stuck-drop", "submitted")
	if err := s.Eth.Client().CallContext(t.Context(), nil, "anvil_dropTransaction", sub.Str("tx_hash")); err != nil {
		t.Fatal(err)
	}
	stop := s.startMiner(100 * time.Millisecond)
	final := waitEvent(t, c, "stuck-drop", "withdraw")
	stop()
	s.CheckReturn("withdraw.return.withdraw", final)
	if final.Num("status") != 1 || s.tokenBalance(to).Cmp(USDT("1.5")) != 0 || s.transfersTo(to) != 1 {
		t.Fatalf("dropped withdrawal: %s; %d transfers", final.Body, s.transfersTo(to))
	}

	// Priced too low: a tip of 100 wei, below the development miner's minimum.
	s.Kill("withdraw")
	s.startPayout("withdraw", "withdraw", withdrawQueue, 1, "REPLACE_AFTER=2s", "MAX_TIP_GWEI=0.0000001")
	to = newAddress(t)
	s.Publish(withdrawKey, withdrawal("stuck-cheap", to, "2.5"))
	sub = waitEvent(t, c, "stuck-cheap", "submitted")
	s.Mine(5)
	if r, _ := s.Eth.TransactionReceipt(t.Context(), common.HexToHash(sub.Str("tx_hash"))); r != nil {
		t.Fatal("the underpriced transaction was mined")
	}
	// The operator raises the limit; the restarted service replaces the
	// transaction with the same nonce and higher fees.
	s.Kill("withdraw")
	s.startPayout("withdraw", "withdraw", withdrawQueue, 1, "REPLACE_AFTER=2s")
	stop = s.startMiner(100 * time.Millisecond)
	defer stop()
	final = waitEvent(t, c, "stuck-cheap", "withdraw")
	s.CheckReturn("withdraw.return.withdraw", final)
	if final.Num("status") != 1 || final.Str("tx_hash") == sub.Str("tx_hash") {
		t.Fatalf("underpriced withdrawal: %s (submitted as %s)", final.Body, sub.Str("tx_hash"))
	}
	if s.tokenBalance(to).Cmp(USDT("2.5")) != 0 || s.transfersTo(to) != 1 {
		t.Fatalf("recipient holds %s after %d transfers", s.tokenBalance(to), s.transfersTo(to))
	}
	if n := s.nonceOf(devAddress(t, withdrawHotPath)); n != 2 {
		t.Fatalf("the hot wallet sent %d transactions, want 2", n)
	}
}

// TestWithdrawRefusals answers invalid or unaffordable withdrawals with status
// 0 and the right code, and sends nothing.
func TestWithdrawRefusals(t *testing.T) {
	s, c := startWithdraw(t, "DEV_FUND_TOKENS=1000")
	hot := devAddress(t, withdrawHotPath)
	valid := newAddress(t)
	tests := []struct {
		id     string
		fields map[string]any
		code   string
	}{
		{"r-balance", withdrawal("r-balance", valid, "5000"), "insufficient_balance"},
		{"r-address", withdrawal("r-address", "0x1234", "1"), "invalid_address"},
		{"r-zero", withdrawal("r-zero", valid, "0"), "invalid_amount"},
		{"r-precise", withdrawal("r-precise", valid, "1.0000001"), "invalid_amount"},
		{"r-negative", withdrawal("r-negative", valid, "-1"), "invalid_amount"},
		{"r-from", map[string]any{"request_id": "r-from", "to_address": valid, "amount": "1", "from_address": newAddress(t)}, "invalid_address"},
		{"r-token", map[string]any{"request_id": "r-token", "to_address": valid, "amount": "1", "symbol": "DOGE"}, "unknown_token"},
		{"r-chain", map[string]any{"request_id": "r-chain", "to_address": valid, "amount": "1", "chain": "TRON"}, "unknown_chain"},
		{"r-stale", map[string]any{"request_id": "r-stale", "to_address": valid, "amount": "1", "timestamp": time.Now().Add(-time.Hour).Unix()}, "stale_timestamp"},
	}
	for _, tc := range tests {
		s.Publish(withdrawKey, tc.fields)
	}
	s.PublishRaw(withdrawKey, []byte(`{"request_id":"r-sign","to_address":"`+valid+`","amount":"1","timestamp":1,"sign":"00"}`))
	tests = append(tests, struct {
		id     string
		fields map[string]any
		code   string
	}{"r-sign", nil, "bad_signature"})
	for _, tc := range tests {
		event, schema := "withdraw", "withdraw.return.withdraw"
		if tc.code == "bad_signature" || tc.code == "stale_timestamp" {
			event, schema = "rejected", rejectedSchema
		}
		m := waitEvent(t, c, tc.id, event)
		s.CheckReturn(schema, m)
		if m.Num("status") != 0 || m.Str("error") != tc.code {
			t.Errorf("%s: got %s, want error %s", tc.id, m.Body, tc.code)
		}
	}
	s.Mine(2)
	for _, m := range c.All() {
		if m.Str("event") == "submitted" {
			t.Errorf("submitted for a refused request: %s", m.Body)
		}
		if id := m.Str("request_id"); (id == "r-stale" || id == "r-sign") && m.Str("event") != "rejected" {
			t.Errorf("a message the suite did not accept was answered with the flow's event: %s", m.Body)
		}
	}
	if n := s.nonceOf(hot); n != 0 {
		t.Fatalf("the hot wallet sent %d transactions", n)
	}
	if s.transfersTo(valid) != 0 {
		t.Fatal("tokens moved")
	}
	// An authenticated refusal is final: the same request_id gets it again.
	s.Publish(withdrawKey, withdrawal("r-zero", valid, "1"))
	msgs := c.WaitFor(t, "the refusal again", wait, func(ms []Message) bool { return len(Find(ms, eventOf("r-zero", "withdraw"))) >= 2 })
	sameBodies(t, "r-zero", Find(msgs, eventOf("r-zero", "withdraw")))
}

// TestWithdrawKeyFile configures the hot wallet through an encrypted key file.
// A wrong passphrase or a missing file stops withdraw at start with an error
// naming the variable; with the right one, a hot wallet that holds tokens but no
// ether refuses withdrawals with insufficient_gas and sends nothing.
func TestWithdrawKeyFile(t *testing.T) {
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	hot := crypto.PubkeyToAddress(key.PublicKey)
	path := keyFile(t, key, "hot pass")
	s := NewSuite(t)
	for _, tc := range []struct {
		env  []string
		want string
	}{
		{[]string{"WITHDRAW_KEY_FILE=" + path, "WITHDRAW_KEY_PASSPHRASE=wrong"}, "WITHDRAW_KEY_PASSPHRASE"},
		{[]string{"WITHDRAW_KEY_FILE=" + path + ".missing", "WITHDRAW_KEY_PASSPHRASE=hot pass"}, "WITHDRAW_KEY_FILE"},
	} {
		s.StartAs("withdraw-bad", "withdraw", tc.env...)
		s.waitExit("withdraw-bad", wait)
		if !s.lastLogContains("withdraw", tc.want) {
			t.Fatalf("the start-up error does not name %s", tc.want)
		}
		if s.lastLogContains("withdraw", "hot pass") {
			t.Fatal("the passphrase is in the log")
		}
	}

	s.SendUSDT(1, hot.Hex(), "100")
	s.Mine(1)
	s.startPayout("withdraw", "withdraw", withdrawQueue, 1,
		"WITHDRAW_KEY_FILE="+path, "WITHDRAW_KEY_PASSPHRASE=hot pass", "DEV_FUND_HOT_WALLET=false")
	c := s.Collect(withdrawReturn)
	to := newAddress(t)
	s.Publish(withdrawKey, withdrawal("gas-1", to, "10"))
	m := waitEvent(t, c, "gas-1", "withdraw")
	s.CheckReturn("withdraw.return.withdraw", m)
	if m.Num("status") != 0 || m.Str("error") != "insufficient_gas" || m.Str("from_address") != lowerHex(hot) {
		t.Fatalf("got %s", m.Body)
	}
	if s.nonceOf(hot) != 0 || s.tokenBalance(hot.Hex()).Cmp(USDT("100")) != 0 {
		t.Fatal("something was sent")
	}
}

func lowerHex(a common.Address) string { return fmt.Sprintf("0x%x", a.Bytes()) }
