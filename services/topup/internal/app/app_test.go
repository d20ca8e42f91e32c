package app_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/witness"
	"paysuite/pkg/witness/witnesstest"
)

// TestGateAnswersWhatIsNotARequest: once a registration exists, an unsigned
// or badly signed repeat gets only a rejected return, a correctly signed
// stale repeat the stored return, and returns published back to the request
// queue are rejected as invalid_request; none of them changes anything.
func TestGateAnswersWhatIsNotARequest(t *testing.T) {
	s := start(t)
	secret := []byte(s.cfg.SignSecret)
	s.request(map[string]any{"request_id": "g-1", "user_id": "u"}, secret, time.Now())
	registered := s.expect("g-1", contract.EventRegistered, contract.StatusSuccess, "")

	s.request(map[string]any{"request_id": "g-1", "user_id": "u", "timestamp": time.Now().Unix()}, nil, time.Time{})
	s.expect("g-1", contract.EventRejected, contract.StatusFailed, contract.ErrBadSignature)
	s.request(map[string]any{"request_id": "g-1", "timestamp": time.Now().Unix(), "sign": strings.Repeat("0", 64)}, nil, time.Time{})
	s.expect("g-1", contract.EventRejected, contract.StatusFailed, contract.ErrBadSignature)
	s.request(map[string]any{"request_id": "g-1", "user_id": "u"}, []byte("not the suite's secret"), time.Now())
	s.expect("g-1", contract.EventRejected, contract.StatusFailed, contract.ErrBadSignature)

	s.request(map[string]any{"request_id": "g-1", "user_id": "u"}, secret, time.Now().Add(-time.Hour))
	if again := s.next(); string(again.Body) != string(registered.Body) {
		t.Fatalf("stale signed repeat answered %s, want the stored %s", again.Body, registered.Body)
	}
	s.request(map[string]any{"request_id": "g-unknown"}, secret, time.Now().Add(-time.Hour))
	s.expect("g-unknown", contract.EventRejected, contract.StatusFailed, contract.ErrStaleTimestamp)

	s.publishRequest(registered.Body)
	rejected := s.expect("g-1", contract.EventRejected, contract.StatusFailed, contract.ErrInvalidRequest)
	s.publishRequest(rejected.Body)
	s.expect("g-1", contract.EventRejected, contract.StatusFailed, contract.ErrInvalidRequest)

	// A fresh request is answered next: nothing else was queued before it.
	s.request(map[string]any{"request_id": "g-2"}, secret, time.Now())
	s.expect("g-2", contract.EventRegistered, contract.StatusSuccess, "")
	if n := s.count("SELECT COUNT(*) FROM registrations"); n != 2 {
		t.Fatalf("%d registrations, want g-1 and g-2", n)
	}
}

// TestDepositsWitnessed: a real deposit goes pending then confirmed; transfer
// events sealed correctly (as a compromised listener would) but false about
// the chain are dead-lettered with an alert, forged or wrongly sealed ones
// are dead-lettered too, and none of them is ever reported.
func TestDepositsWitnessed(t *testing.T) {
	s := start(t)
	s.request(map[string]any{"request_id": "d-1"}, []byte(s.cfg.SignSecret), time.Now())
	addr := s.expect("d-1", contract.EventRegistered, contract.StatusSuccess, "").Str("address")

	ev := s.chain.Pay([]common.Address{common.HexToAddress(addr)}, []int64{12_345_678})[0]
	s.transfer(s.keys, ev)
	pending := s.expect("d-1", contract.EventDeposit, contract.StatusPending, "")
	if pending.Str("amount") != "12.345678" || pending.Str("tx_hash") != ev.TxHash {
		t.Fatalf("pending deposit %s", pending.Body)
	}
	s.chain.Mine(depth - 1)

	lies := []struct {
		name   string
		change func(*events.Transfer)
	}{
		{"a transaction not on chain", func(e *events.Transfer) { e.TxHash = "0x" + strings.Repeat("5a", 32) }},
		{"a changed amount", func(e *events.Transfer) { e.Amount = "99999999999" }},
		{"a changed log_index", func(e *events.Transfer) { e.LogIndex++ }},
	}
	for _, lie := range lies {
		forged := witnesstest.Confirmed(ev, depth)
		lie.change(&forged)
		s.transfer(s.keys, forged)
		if reason := s.deadLetter(); !strings.Contains(reason, "not on chain as claimed") {
			t.Fatalf("%s: dead-lettered for %q", lie.name, reason)
		}
		if a := s.alert(); a.Kind != witness.AlertNotOnChain || a.Service != "topup" {
			t.Fatalf("%s: alert %+v", lie.name, a)
		}
	}

	forged := witnesstest.Confirmed(ev, depth)
	plain, err := json.Marshal(forged)
	if err != nil {
		t.Fatal(err)
	}
	other, err := events.NewKeys([]byte("not the suite's internal secret"))
	if err != nil {
		t.Fatal(err)
	}
	s.publishInternal(events.TransferKey(events.OwnerTopup), plain)
	s.transfer(other, forged)
	for range 2 {
		if reason := s.deadLetter(); !strings.Contains(reason, "not authenticated") {
			t.Fatalf("forged event dead-lettered for %q", reason)
		}
		if a := s.alert(); a.Kind != events.AlertForgedMessage {
			t.Fatalf("alert %+v", a)
		}
	}

	// The genuine confirmation is the next return: none of the above made one.
	s.transfer(s.keys, witnesstest.Confirmed(ev, depth))
	confirmed := s.expect("d-1", contract.EventDeposit, contract.StatusSuccess, "")
	if confirmed.Str("amount") != "12.345678" || confirmed.Int("confirmations") < depth {
		t.Fatalf("confirmed deposit %s", confirmed.Body)
	}
	if n := s.count("SELECT COUNT(*) FROM deposits"); n != 1 {
		t.Fatalf("%d deposits recorded, want 1", n)
	}
}
