package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestReorgDropsPendingDeposit(t *testing.T) {
	s, c := startDeposits(t)
	kept := register(t, s, c, "reorg-kept")
	dropped := register(t, s, c, "reorg-dropped")

	// A deposit that confirms before the reorganisation, deeper than it reaches.
	s.SendUSDT(1, kept, "5")
	s.Mine(1)
	s.Mine(confirmations)
	waitDeposit(t, c, "reorg-kept", 1, 1)

	s.SendUSDT(2, dropped, "7.5")
	s.Mine(1)
	pending := waitDeposit(t, c, "reorg-dropped", 2, 1)[0]

	if err := s.Chain.Reorg(1); err != nil {
		t.Fatal(err)
	}
	s.Mine(1) // the listener notices the new fork when the chain moves on
	reorged := waitDeposit(t, c, "reorg-dropped", 0, 1)[0]
	s.CheckReturn("topup.return.deposit", reorged)
	if reorged.Str("error") != "reorged" || reorged.Str("deposit_id") != pending.Str("deposit_id") {
		t.Fatalf("reorged deposit: %s", reorged.Body)
	}
	// The dropped transfer never comes back and is never confirmed; the kept one
	// is not reported again with another outcome.
	s.Mine(confirmations + 1)
	time.Sleep(time.Second)
	if got := Find(c.All(), depositsOf("reorg-dropped", 1)); len(got) > 0 {
		t.Fatalf("a reorged deposit was confirmed: %s", got[0].Body)
	}
	for _, m := range Find(c.All(), func(m Message) bool { return m.Str("request_id") == "reorg-kept" && m.Str("event") == "deposit" }) {
		if m.Num("status") == 0 {
			t.Fatalf("a confirmed deposit was undone: %s", m.Body)
		}
	}
	assertConsistent(t, c.All())
}

// TestListenerKilledWhileDepositsFlow SIGKILLs the listener while blocks with
// deposits keep coming; after a restart every deposit is reported, none twice
// with different content.
func TestListenerKilledWhileDepositsFlow(t *testing.T) {
	s, c := startDeposits(t)
	const n = 12
	addrs := make([]string, 4)
	for i := range addrs {
		addrs[i] = register(t, s, c, fmt.Sprintf("kill-%d", i))
	}
	for i := 0; i < n; i++ {
		s.SendUSDT(1+i%3, addrs[i%len(addrs)], fmt.Sprintf("%d.%06d", i+1, i+1))
		s.Mine(1)
		switch i {
		case 3:
			s.Kill("chain-listener")
		case 7:
			s.Start("chain-listener")
		case 9:
			s.Kill("chain-listener")
			s.Start("chain-listener")
		}
	}
	s.Mine(confirmations)
	c.WaitFor(t, "every deposit confirmed", 2*wait, func(ms []Message) bool {
		return len(distinct(Find(ms, func(m Message) bool { return m.Str("event") == "deposit" && m.Num("status") == 1 }))) == n
	})
	msgs := c.All()
	pending := distinct(Find(msgs, func(m Message) bool { return m.Str("event") == "deposit" && m.Num("status") == 2 }))
	if len(pending) != n {
		t.Fatalf("%d pending reports, want %d", len(pending), n)
	}
	for _, m := range Find(msgs, func(m Message) bool { return m.Str("event") == "deposit" }) {
		s.CheckReturn("topup.return.deposit", m)
	}
	assertConsistent(t, msgs)
}

// TestBrokerConnectionsClosed closes every broker connection while requests
// and deposits flow: the services reconnect and nothing is lost.
func TestBrokerConnectionsClosed(t *testing.T) {
	s, c := startDeposits(t)
	const n = 6
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = register(t, s, c, fmt.Sprintf("conn-%d", i))
	}
	for i := 0; i < n; i++ {
		s.SendUSDT(1, addrs[i], "3")
		s.Mine(1)
		if i == 2 || i == 4 {
			out, err := exec.Command("rabbitmqctl", "close_all_connections", "test").CombinedOutput()
			if err != nil {
				t.Fatalf("close connections: %v %s", err, out)
			}
			// Requests published while the services reconnect are kept by the broker.
			s.Publish(topupKey, map[string]any{"request_id": fmt.Sprintf("conn-late-%d", i)})
		}
	}
	s.Mine(confirmations)
	c.WaitFor(t, "all deposits confirmed and late registrations answered", 2*wait, func(ms []Message) bool {
		confirmed := distinct(Find(ms, func(m Message) bool { return m.Str("event") == "deposit" && m.Num("status") == 1 }))
		return len(confirmed) == n && len(Find(ms, registeredOf("conn-late-2"))) > 0 && len(Find(ms, registeredOf("conn-late-4"))) > 0
	})
	assertConsistent(t, c.All())
}

func TestBadRequestsAnswered(t *testing.T) {
	s, c := startDeposits(t)
	dead := s.Collect(deadQueue)
	now := time.Now().Unix()

	cases := []struct {
		id, code string
		fields   map[string]any
		tamper   bool
	}{
		{"bad-sign", "bad_signature", map[string]any{}, true},
		{"bad-time", "stale_timestamp", map[string]any{"timestamp": now - 3600}, false},
		{"bad-addr", "invalid_address", map[string]any{"address": "0x1234"}, false},
		{"bad-token", "unknown_token", map[string]any{"symbol": "DOGE"}, false},
		{"bad-chain", "unknown_chain", map[string]any{"chain": "BTC"}, false},
		{"bad-long-chain", "invalid_request", map[string]any{"chain": strings.Repeat("X", 40)}, false},
		{"bad-user", "invalid_request", map[string]any{"user_id": 42}, false},
	}
	for _, tc := range cases {
		tc.fields["request_id"] = tc.id
		if tc.tamper {
			s.PublishRaw(topupKey, []byte(fmt.Sprintf(`{"request_id":%q,"timestamp":%d,"sign":"%s"}`, tc.id, now, strings.Repeat("ab", 32))))
			continue
		}
		s.Publish(topupKey, tc.fields)
	}
	s.PublishRaw(topupKey, []byte("this is not json"))
	s.PublishRaw(topupKey, []byte(`{"user_id":"no request id"}`))

	for _, tc := range cases {
		// What the suite did not accept as a request is rejected, never
		// answered with the flow's own event.
		answer, schema := registeredOf(tc.id), "topup.return.registered"
		if tc.code == "bad_signature" || tc.code == "stale_timestamp" {
			answer, schema = rejectedOf(tc.id), rejectedSchema
		}
		msgs := c.WaitFor(t, "answer to "+tc.id, wait, func(ms []Message) bool { return len(Find(ms, answer)) > 0 })
		m := Find(msgs, answer)[0]
		s.CheckReturn(schema, m)
		if m.Num("status") != 0 || m.Str("error") != tc.code {
			t.Errorf("%s: got %s, want status 0 error %s", tc.id, m.Body, tc.code)
		}
		if schema == rejectedSchema && len(Find(c.All(), registeredOf(tc.id))) > 0 {
			t.Errorf("%s: answered with the flow's own event", tc.id)
		}
	}
	deadMsgs := dead.WaitFor(t, "two dead letters", wait, func(ms []Message) bool { return len(ms) >= 2 })
	for _, m := range deadMsgs {
		if m.Str("header:x-dead-reason") == "" {
			t.Errorf("dead letter without a reason: %s", m.Body)
		}
	}
	if string(deadMsgs[0].Body) != "this is not json" {
		t.Errorf("dead letter body changed: %q", deadMsgs[0].Body)
	}
	// The service keeps consuming.
	register(t, s, c, "after-garbage")
}
