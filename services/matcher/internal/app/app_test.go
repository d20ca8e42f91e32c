package app_test

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/money"
	"paysuite/pkg/witness"
	"paysuite/pkg/witness/witnesstest"
	"paysuite/services/matcher/internal/store"
)

// TestGateAnswersWhatIsNotARequest: once an order exists, an unsigned or
// badly signed repeat gets only a rejected return, a correctly signed stale
// repeat the stored created return, and returns published back to the
// request queue are rejected as invalid_request; none of them changes
// anything.
func TestGateAnswersWhatIsNotARequest(t *testing.T) {
	s := start(t)
	secret := []byte(s.cfg.SignSecret)
	order := map[string]any{"request_id": "g-1", "order_id": "o-1", "amount": "5"}
	s.request(order, secret, time.Now())
	created := s.expect("g-1", contract.EventCreated, contract.StatusSuccess, "")

	s.request(map[string]any{"request_id": "g-1", "order_id": "o-1", "amount": "5", "timestamp": time.Now().Unix()}, nil, time.Time{})
	s.expect("g-1", contract.EventRejected, contract.StatusFailed, contract.ErrBadSignature)
	s.request(map[string]any{"request_id": "g-1", "order_id": "o-1", "amount": "5", "timestamp": time.Now().Unix(),
		"sign": strings.Repeat("0", 64)}, nil, time.Time{})
	s.expect("g-1", contract.EventRejected, contract.StatusFailed, contract.ErrBadSignature)
	s.request(map[string]any{"request_id": "g-1", "order_id": "o-1", "amount": "5"}, []byte("not the suite's secret"), time.Now())
	s.expect("g-1", contract.EventRejected, contract.StatusFailed, contract.ErrBadSignature)

	s.request(map[string]any{"request_id": "g-1", "order_id": "o-1", "amount": "5"}, secret, time.Now().Add(-time.Hour))
	if again := s.next(); string(again.Body) != string(created.Body) {
		t.Fatalf("stale signed repeat answered %s, want the stored %s", again.Body, created.Body)
	}
	s.request(map[string]any{"request_id": "g-unknown", "order_id": "o-x", "amount": "5"}, secret, time.Now().Add(-time.Hour))
	s.expect("g-unknown", contract.EventRejected, contract.StatusFailed, contract.ErrStaleTimestamp)

	s.publishRequest(created.Body)
	rejected := s.expect("g-1", contract.EventRejected, contract.StatusFailed, contract.ErrInvalidRequest)
	s.publishRequest(rejected.Body)
	s.expect("g-1", contract.EventRejected, contract.StatusFailed, contract.ErrInvalidRequest)

	// A fresh order is answered next: nothing else was queued before it.
	s.request(map[string]any{"request_id": "g-2", "order_id": "o-2", "amount": "5"}, secret, time.Now())
	s.expect("g-2", contract.EventCreated, contract.StatusSuccess, "")
	if n := s.count("SELECT COUNT(*) FROM orders"); n != 2 {
		t.Fatalf("%d orders, want o-1 and o-2", n)
	}
}

// TestPaymentsWitnessed: a real payment of an open order goes pending then
// confirmed; transfer events sealed correctly (as a compromised listener
// would) but false about the chain are dead-lettered with an alert, forged or
// wrongly sealed ones are dead-lettered too, and none of them is reported
// paid or counted towards the order.
func TestPaymentsWitnessed(t *testing.T) {
	s := start(t)
	s.request(map[string]any{"request_id": "p-1", "order_id": "o-1", "amount": "7.5"}, []byte(s.cfg.SignSecret), time.Now())
	created := s.expect("p-1", contract.EventCreated, contract.StatusSuccess, "")
	amount, err := money.Parse(created.Str("pay_amount"), 6)
	if err != nil {
		t.Fatal(err)
	}
	units := money.ToBaseUnits(amount, 6)

	ev := s.chain.Pay([]common.Address{common.HexToAddress(created.Str("pay_address"))}, []int64{units.Int64()})[0]
	s.transfer(s.keys, ev)
	if p := s.expect("p-1", contract.EventPaid, contract.StatusPending, ""); p.Str("paid_amount") != "7.5" {
		t.Fatalf("pending payment %s", p.Body)
	}
	s.chain.Mine(depth - 1)

	lies := []struct {
		name   string
		change func(*events.Transfer)
	}{
		{"a transaction not on chain", func(e *events.Transfer) { e.TxHash = "0x" + strings.Repeat("5a", 32) }},
		{"a changed amount", func(e *events.Transfer) {
			e.Amount = new(big.Int).Mul(units, big.NewInt(10)).String()
		}},
		{"a changed log_index", func(e *events.Transfer) { e.LogIndex++ }},
	}
	for _, lie := range lies {
		forged := witnesstest.Confirmed(ev, depth)
		lie.change(&forged)
		s.transfer(s.keys, forged)
		if reason := s.deadLetter(); !strings.Contains(reason, "not on chain as claimed") {
			t.Fatalf("%s: dead-lettered for %q", lie.name, reason)
		}
		if a := s.alert(); a.Kind != witness.AlertNotOnChain || a.Service != "matcher" {
			t.Fatalf("%s: alert %+v", lie.name, a)
		}
	}
	if st := s.state("p-1"); st != store.StateOpen {
		t.Fatalf("order %s after contradicted confirmations", st)
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
	s.publishInternal(events.TransferKey(events.OwnerMatcher), plain)
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
	if p := s.expect("p-1", contract.EventPaid, contract.StatusSuccess, ""); p.Str("tx_hash") != ev.TxHash {
		t.Fatalf("confirmed payment %s", p.Body)
	}
	if st := s.state("p-1"); st != store.StatePaid {
		t.Fatalf("order %s after its confirmed payment", st)
	}
}

func (s *suite) state(requestID string) string {
	s.t.Helper()
	var st string
	if err := s.db.Raw("SELECT state FROM orders WHERE request_id = ?", requestID).Scan(&st).Error; err != nil {
		s.t.Fatal(err)
	}
	return st
}
