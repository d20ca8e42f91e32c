package e2e

import (
	"fmt"
	"testing"
	"time"
)

// TestListenerFailover runs two listener replicas: one scans, and when it is
// killed the other takes over and reports what arrived meanwhile.
func TestListenerFailover(t *testing.T) {
	s := NewSuite(t)
	s.StartAs("listener-a", "chain-listener")
	s.StartAs("listener-b", "chain-listener")
	c := s.runTopup(2)
	addr := register(t, s, c, "failover")

	s.SendUSDT(1, addr, "1")
	s.Mine(1)
	waitDeposit(t, c, "failover", 2, 1)

	// Kill both in turn: whichever leads, the survivor must take over.
	for i, victim := range []string{"listener-a", "listener-b"} {
		s.Kill(victim)
		killed := time.Now()
		s.SendUSDT(1, addr, fmt.Sprintf("%d", i+2))
		s.Mine(1)
		msgs := waitDeposit(t, c, "failover", 2, i+2)
		t.Logf("after killing %s, the next deposit was reported in %s", victim, msgs[len(msgs)-1].At.Sub(killed))
		s.StartAs(victim, "chain-listener")
	}
	s.Mine(confirmations)
	waitDeposit(t, c, "failover", 1, 3)
	assertConsistent(t, c.All())
}

// TestListenerPollsWithoutSubscription runs the listener against a WebSocket
// endpoint that refuses connections: it falls back to polling and misses nothing.
func TestListenerPollsWithoutSubscription(t *testing.T) {
	s := NewSuite(t)
	s.Start("chain-listener", "ETH_WS_URL=ws://127.0.0.1:1")
	c := s.runTopup(1)
	addr := register(t, s, c, "polling")
	s.SendUSDT(1, addr, "4.2")
	s.Mine(1)
	if got := waitDeposit(t, c, "polling", 2, 1)[0]; got.Str("amount") != "4.2" {
		t.Fatalf("pending deposit: %s", got.Body)
	}
	s.Mine(confirmations)
	waitDeposit(t, c, "polling", 1, 1)
}
