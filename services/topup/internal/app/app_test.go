package app_test

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/contract"
	"paysuite/pkg/witness/witnesstest"
)

// TestGateAnswersWhatIsNotARequest: once a registration exists, an unsigned
// or badly signed repeat gets only a rejected return, a correctly signed
// stale repeat the stored return, and returns published back to the request
// queue are rejected as invalid_request; none of them changes anything.
func TestGateAnswersWhatIsNotARequest(t *testing.T) {
	start(t).CheckGate("registrations", func(id string) map[string]any {
		return map[string]any{"request_id": id, "user_id": "u"}
	})
}

// TestDepositsWitnessed: a real deposit goes pending then confirmed; transfer
// events sealed correctly (as a compromised listener would) but false about
// the chain are dead-lettered with an alert, forged or wrongly sealed ones
// are dead-lettered too, and none of them is ever reported.
func TestDepositsWitnessed(t *testing.T) {
	s := start(t)
	s.Request(map[string]any{"request_id": "d-1"}, s.Secret, time.Now())
	addr := s.Expect("d-1", contract.EventRegistered, contract.StatusSuccess, "").Str("address")

	ev := s.Chain.Pay([]common.Address{common.HexToAddress(addr)}, []int64{12_345_678})[0]
	s.Transfer(s.Keys, ev)
	pending := s.Expect("d-1", contract.EventDeposit, contract.StatusPending, "")
	if pending.Str("amount") != "12.345678" || pending.Str("tx_hash") != ev.TxHash {
		t.Fatalf("pending deposit %s", pending.Body)
	}
	s.Chain.Mine(depth - 1)

	s.RefuseContradicted(ev, "99999999999")
	s.RefuseForged(ev)

	// The genuine confirmation is the next return: none of the above made one.
	s.Transfer(s.Keys, witnesstest.Confirmed(ev, depth))
	confirmed := s.Expect("d-1", contract.EventDeposit, contract.StatusSuccess, "")
	if confirmed.Str("amount") != "12.345678" || confirmed.Int("confirmations") < depth {
		t.Fatalf("confirmed deposit %s", confirmed.Body)
	}
	if n := s.Count("SELECT COUNT(*) FROM deposits"); n != 1 {
		t.Fatalf("%d deposits recorded, want 1", n)
	}
}
