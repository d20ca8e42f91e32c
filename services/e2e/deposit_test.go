package e2e

import (
	"fmt"
	"testing"
	"time"
)

const (
	topupKey    = "pay.topup"
	topupReturn = "pay.topup.return.queue"
	deadQueue   = "pay.dead.queue"
	wait        = 60 * time.Second
)

// startDeposits runs the listener and topup on a new suite and follows topup's
// return queue.
func startDeposits(t *testing.T) (*Suite, *Collector) {
	s := NewSuite(t)
	return s, s.runDeposits()
}

// runDeposits runs the listener and topup and follows topup's return queue.
func (s *Suite) runDeposits() *Collector {
	s.Start("chain-listener")
	return s.runTopup(1)
}

// runTopup starts topup after the given number of listener replicas, waits until they all
// consume, and follows topup's return queue.
func (s *Suite) runTopup(listeners int) *Collector {
	s.Start("topup")
	s.waitDepositConsumers(listeners)
	return s.Collect(topupReturn)
}

// waitDepositConsumers waits until the given number of listener replicas and topup consume
// their queues.
func (s *Suite) waitDepositConsumers(listeners int) {
	s.t.Helper()
	s.WaitConsumers("internal.listener.watch.queue", listeners)
	s.WaitConsumers("pay.topup.queue", 1)
}

// register asks for a fresh deposit address and returns it.
func register(t *testing.T, s *Suite, c *Collector, requestID string) string {
	t.Helper()
	s.Publish(topupKey, map[string]any{"request_id": requestID, "user_id": "u-" + requestID})
	msgs := c.WaitFor(t, "registered "+requestID, wait, func(ms []Message) bool {
		return len(Find(ms, registeredOf(requestID))) > 0
	})
	m := Find(msgs, registeredOf(requestID))[0]
	s.CheckReturn("topup.return.registered", m)
	if m.Num("status") != 1 || m.Str("address") == "" {
		t.Fatalf("registration failed: %s", m.Body)
	}
	return m.Str("address")
}

func registeredOf(requestID string) func(Message) bool {
	return func(m Message) bool { return m.Str("request_id") == requestID && m.Str("event") == "registered" }
}

func depositsOf(requestID string, status int64) func(Message) bool {
	return func(m Message) bool {
		return m.Str("request_id") == requestID && m.Str("event") == "deposit" && m.Num("status") == status
	}
}

func waitDeposit(t *testing.T, c *Collector, requestID string, status int64, n int) []Message {
	t.Helper()
	msgs := c.WaitFor(t, fmt.Sprintf("%d deposit(s) of %s with status %d", n, requestID, status), wait, func(ms []Message) bool {
		return len(distinct(Find(ms, depositsOf(requestID, status)))) >= n
	})
	return distinct(Find(msgs, depositsOf(requestID, status)))
}

// distinct drops redeliveries, failing on two different bodies for one key.
func distinct(msgs []Message) []Message {
	seen := map[string]bool{}
	var out []Message
	for _, m := range msgs {
		key := fmt.Sprintf("%s|%s|%s|%d", m.Str("request_id"), m.Str("event"), m.Str("deposit_id"), m.Num("status"))
		if !seen[key] {
			seen[key] = true
			out = append(out, m)
		}
	}
	return out
}

// assertConsistent fails when one (request, event, deposit, status) was reported with different content.
func assertConsistent(t *testing.T, msgs []Message) {
	t.Helper()
	bodies := map[string]string{}
	outcome := map[string]int64{}
	for _, m := range msgs {
		key := fmt.Sprintf("%s|%s|%s|%d", m.Str("request_id"), m.Str("event"), m.Str("deposit_id"), m.Num("status"))
		if prev, ok := bodies[key]; ok && prev != string(m.Body) {
			t.Errorf("two different bodies for %s:\n%s\n%s", key, prev, m.Body)
		}
		bodies[key] = string(m.Body)
		if m.Str("event") == "deposit" && m.Num("status") != 2 {
			id := m.Str("deposit_id")
			if prev, ok := outcome[id]; ok && prev != m.Num("status") {
				t.Errorf("deposit %s has two final outcomes: %d and %d", id, prev, m.Num("status"))
			}
			outcome[id] = m.Num("status")
		}
	}
}

func TestDepositPendingThenConfirmed(t *testing.T) { depositPendingThenConfirmed(t, NewSuite(t)) }

// depositPendingThenConfirmed: a transfer to a deposit address is reported
// pending with its first block and confirmed after CONFIRMATIONS blocks, not
// before.
func depositPendingThenConfirmed(t *testing.T, s *Suite) {
	c := s.runDeposits()
	addr := register(t, s, c, "dep-1")

	tx := s.SendUSDT(1, addr, "12.345678")
	s.Mine(1)
	mined := time.Now()
	pending := waitDeposit(t, c, "dep-1", 2, 1)[0]
	s.CheckReturn("topup.return.deposit", pending)
	if pending.Str("amount") != "12.345678" || pending.Str("tx_hash") != tx.Hex() || pending.Str("address") != addr {
		t.Fatalf("pending deposit: %s", pending.Body)
	}
	if pending.Num("confirmations") != 1 {
		t.Errorf("pending confirmations = %d, want 1", pending.Num("confirmations"))
	}
	t.Logf("block mined to status 2 received: %s", pending.At.Sub(mined))

	s.Mine(confirmations - 2)
	time.Sleep(500 * time.Millisecond) // give the listener a chance to (wrongly) confirm early
	if got := Find(c.All(), depositsOf("dep-1", 1)); len(got) != 0 {
		t.Fatalf("confirmed before %d confirmations: %s", confirmations, got[0].Body)
	}
	s.Mine(1)
	lastBlock := time.Now()
	confirmed := waitDeposit(t, c, "dep-1", 1, 1)[0]
	s.CheckReturn("topup.return.deposit", confirmed)
	if confirmed.Str("amount") != "12.345678" || confirmed.Str("deposit_id") != pending.Str("deposit_id") {
		t.Fatalf("confirmed deposit: %s", confirmed.Body)
	}
	if confirmed.Num("confirmations") < confirmations {
		t.Errorf("confirmed with %d confirmations", confirmed.Num("confirmations"))
	}
	t.Logf("confirming block mined to status 1 received: %s", confirmed.At.Sub(lastBlock))
	assertConsistent(t, c.All())
}

func TestSameRequestIDGivesSameAddress(t *testing.T) {
	s, c := startDeposits(t)
	first := register(t, s, c, "same-1")
	s.Publish(topupKey, map[string]any{"request_id": "same-1", "user_id": "u-same-1"})
	msgs := c.WaitFor(t, "second answer", wait, func(ms []Message) bool { return len(Find(ms, registeredOf("same-1"))) >= 2 })
	answers := Find(msgs, registeredOf("same-1"))
	if answers[1].Str("address") != first || string(answers[0].Body) != string(answers[1].Body) {
		t.Fatalf("repeated request_id answered differently:\n%s\n%s", answers[0].Body, answers[1].Body)
	}
	other := register(t, s, c, "same-2")
	if other == first {
		t.Fatal("two request_ids got the same address")
	}
}

// A burst of requests, most of them new, is registered in batches; the odd
// ones mixed into it (a repeat, refusals, two requests for one address) are
// answered as if each came alone.
func TestRegistrationBurst(t *testing.T) {
	s, c := startDeposits(t)
	const n = 300
	p := s.newPublisher()
	for i := range n {
		p.send(topupKey, map[string]any{"request_id": fmt.Sprintf("burst-%d", i)})
		switch i {
		case 100:
			p.send(topupKey, map[string]any{"request_id": "burst-7"})
		case 150:
			p.send(topupKey, map[string]any{"request_id": "burst-bad", "address": "0x12"})
			p.send(topupKey, map[string]any{"request_id": "burst-twin-1", "address": "0x00000000000000000000000000000000000000Cd"})
			p.send(topupKey, map[string]any{"request_id": "burst-twin-2", "address": "0x00000000000000000000000000000000000000cD"})
		case 200:
			p.send(topupKey, map[string]any{"request_id": "burst-doge", "symbol": "DOGE"})
		}
	}
	p.flush()
	msgs := c.WaitFor(t, "every burst request answered", wait, func(ms []Message) bool {
		return len(Find(ms, func(m Message) bool { return m.Str("event") == "registered" })) >= n+5
	})
	answers := map[string][]Message{}
	for _, m := range Find(msgs, func(m Message) bool { return m.Str("event") == "registered" }) {
		answers[m.Str("request_id")] = append(answers[m.Str("request_id")], m)
	}
	addresses := map[string]string{}
	for i := range n {
		id := fmt.Sprintf("burst-%d", i)
		want := 1
		if i == 7 {
			want = 2
		}
		got := answers[id]
		if len(got) != want {
			t.Fatalf("%s answered %d times, want %d", id, len(got), want)
		}
		if string(got[0].Body) != string(got[len(got)-1].Body) {
			t.Fatalf("%s answered differently:\n%s\n%s", id, got[0].Body, got[1].Body)
		}
		m := got[0]
		s.CheckReturn("topup.return.registered", m)
		if m.Num("status") != 1 {
			t.Fatalf("%s: %s", id, m.Body)
		}
		if other, dup := addresses[m.Str("address")]; dup {
			t.Fatalf("%s and %s got the same address %s", other, id, m.Str("address"))
		}
		addresses[m.Str("address")] = id
	}
	refused := func(id, code string) {
		t.Helper()
		got := answers[id]
		if len(got) != 1 || got[0].Num("status") != 0 || got[0].Str("error") != code {
			t.Errorf("%s: want one refusal %s, got %d answers: %v", id, code, len(got), got)
		}
	}
	refused("burst-bad", "invalid_address")
	refused("burst-doge", "unknown_token")
	twins := append(answers["burst-twin-1"], answers["burst-twin-2"]...)
	if len(twins) != 2 || twins[0].Num("status")+twins[1].Num("status") != 1 {
		t.Fatalf("two requests for one address: want one registered and one refused, got %v", twins)
	}
	for _, m := range twins {
		if m.Num("status") == 0 && m.Str("error") != "address_in_use" {
			t.Errorf("twin refused with %s", m.Body)
		}
	}
	if got := s.sqlCount("topup", "SELECT COUNT(*) FROM registrations"); got != n+1 {
		t.Fatalf("%d registrations, want %d", got, n+1)
	}
}

func TestTransfersInOneBlockReportedOnce(t *testing.T) {
	s, c := startDeposits(t)
	a := register(t, s, c, "blk-a")
	b := register(t, s, c, "blk-b")
	s.SendUSDT(1, a, "1.5")
	s.SendUSDT(2, b, "2.25")
	s.Mine(1)
	s.Mine(confirmations)
	if got := waitDeposit(t, c, "blk-a", 1, 1)[0]; got.Str("amount") != "1.5" {
		t.Fatalf("a: %s", got.Body)
	}
	if got := waitDeposit(t, c, "blk-b", 1, 1)[0]; got.Str("amount") != "2.25" {
		t.Fatalf("b: %s", got.Body)
	}
	pa, pb := waitDeposit(t, c, "blk-a", 2, 1), waitDeposit(t, c, "blk-b", 2, 1)
	if pa[0].Num("block_number") != pb[0].Num("block_number") {
		t.Fatalf("transfers landed in different blocks: %d and %d", pa[0].Num("block_number"), pb[0].Num("block_number"))
	}
	assertConsistent(t, c.All())
	if n := len(distinct(Find(c.All(), func(m Message) bool { return m.Str("event") == "deposit" }))); n != 4 {
		t.Fatalf("want 4 distinct deposit messages (2 pending, 2 confirmed), got %d", n)
	}
}

func TestTransfersInOneTransactionReportedOnce(t *testing.T) {
	s, c := startDeposits(t)
	a := register(t, s, c, "tx-a")
	b := register(t, s, c, "tx-b")
	tx := s.SendUSDTBatch(3, []string{a, b}, []string{"0.000001", "1000000"})
	s.Mine(1 + confirmations)
	ca, cb := waitDeposit(t, c, "tx-a", 1, 1)[0], waitDeposit(t, c, "tx-b", 1, 1)[0]
	if ca.Str("tx_hash") != tx.Hex() || cb.Str("tx_hash") != tx.Hex() {
		t.Fatalf("deposits not from the batch transaction: %s %s", ca.Body, cb.Body)
	}
	if ca.Str("amount") != "0.000001" || cb.Str("amount") != "1000000" {
		t.Fatalf("amounts: %s %s", ca.Str("amount"), cb.Str("amount"))
	}
	if ca.Str("deposit_id") == cb.Str("deposit_id") || ca.Num("log_index") == cb.Num("log_index") {
		t.Fatalf("two transfers of one transaction share an id: %s", ca.Str("deposit_id"))
	}
	assertConsistent(t, c.All())
	if n := len(distinct(Find(c.All(), func(m Message) bool { return m.Str("event") == "deposit" }))); n != 4 {
		t.Fatalf("want 4 distinct deposit messages (2 pending, 2 confirmed), got %d", n)
	}
}
