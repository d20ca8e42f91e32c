package app_test

import (
	"strings"
	"testing"
	"time"

	"paysuite/pkg/contract"
	"paysuite/pkg/witness/witnesstest"
	"paysuite/services/matcher/internal/store"
)

// TestGateAnswersWhatIsNotARequest: once an order exists, an unsigned or
// badly signed repeat gets only a rejected return, a correctly signed stale
// repeat the stored created return, and returns published back to the
// request queue are rejected as invalid_request; none of them changes
// anything.
func TestGateAnswersWhatIsNotARequest(t *testing.T) {
	start(t).CheckGate("orders", func(id string) map[string]any {
		return map[string]any{"request_id": id, "order_id": "o-" + strings.TrimPrefix(id, "g-"), "amount": "5"}
	})
}

// TestPaymentsWitnessed: a real payment of an open order goes pending then
// confirmed; transfer events sealed correctly (as a compromised listener
// would) but false about the chain are dead-lettered with an alert, forged or
// wrongly sealed ones are dead-lettered too, and none of them is reported
// paid or counted towards the order.
func TestPaymentsWitnessed(t *testing.T) {
	s := start(t)
	s.Request(map[string]any{"request_id": "p-1", "order_id": "o-1", "amount": "7.5"}, s.Secret, time.Now())
	created := s.Expect("p-1", contract.EventCreated, contract.StatusSuccess, "")
	ev := s.pay(created)
	s.Transfer(s.Keys, ev)
	if p := s.Expect("p-1", contract.EventPaid, contract.StatusPending, ""); p.Str("paid_amount") != "7.5" {
		t.Fatalf("pending payment %s", p.Body)
	}
	s.Chain.Mine(depth - 1)

	s.RefuseContradicted(ev, ev.Amount+"0") // ten times the amount paid
	if st := s.state("p-1"); st != store.StateOpen {
		t.Fatalf("order %s after contradicted confirmations", st)
	}

	s.RefuseForged(ev)

	// The genuine confirmation is the next return: none of the above made one.
	s.Transfer(s.Keys, witnesstest.Confirmed(ev, depth))
	if p := s.Expect("p-1", contract.EventPaid, contract.StatusSuccess, ""); p.Str("tx_hash") != ev.TxHash {
		t.Fatalf("confirmed payment %s", p.Body)
	}
	if st := s.state("p-1"); st != store.StatePaid {
		t.Fatalf("order %s after its confirmed payment", st)
	}
}

func (s *suite) state(requestID string) string {
	s.T.Helper()
	var st string
	if err := s.DB.Raw("SELECT state FROM orders WHERE request_id = ?", requestID).Scan(&st).Error; err != nil {
		s.T.Fatal(err)
	}
	return st
}
