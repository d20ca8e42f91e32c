package app

import (
	"bytes"
	"math/big"
	"testing"
	"time"

	"paysuite/pkg/contract"
	"paysuite/pkg/service/servicetest"
)

// TestRequestIDsDifferingInCase: request_id is compared byte for byte
// (contract section 2), so W-1 and w-1 are two payments: each is paid and
// answered with signed returns of its own, and a repeat of either gets its
// own stored return back.
func TestRequestIDsDifferingInCase(t *testing.T) {
	s := start(t)
	queue := s.cfg.Names.PayQueue
	user := s.learn(1)
	requests := []struct {
		id, order, merchant, amount string
		units                       int64
	}{
		{"W-1", "O-1", "upper", "1", 1_000_000},
		{"w-1", "o-1", "lower", "2", 2_000_000},
	}
	finals := map[string]servicetest.Return{}
	messageIDs := map[string]string{}
	for _, r := range requests {
		s.publish(s.public, queue, s.request(currentSecret, map[string]any{"request_id": r.id, "order_id": r.order,
			"from_address": user.Hex(), "to_address": s.address(r.merchant).Hex(), "amount": r.amount}, time.Now()))
		submitted := s.expect(r.id, contract.EventSubmitted, contract.StatusPending)
		final := s.expect(r.id, contract.EventPay, contract.StatusSuccess)
		for _, ret := range []servicetest.Return{submitted, final} {
			if other, seen := messageIDs[ret.MessageID]; seen {
				t.Fatalf("%s and %s share the message_id %s", other, r.id, ret.MessageID)
			}
			messageIDs[ret.MessageID] = r.id
			if ret.Str("order_id") != r.order {
				t.Fatalf("%s: return %s, want order_id %s", r.id, ret.Body, r.order)
			}
		}
		finals[r.id] = final
	}
	if finals["W-1"].Str("tx_hash") == finals["w-1"].Str("tx_hash") {
		t.Fatalf("W-1 and w-1 were paid by one transaction %s", finals["W-1"].Str("tx_hash"))
	}
	for _, r := range requests {
		if got := s.tokens(s.address(r.merchant)); got.Cmp(big.NewInt(r.units)) != 0 {
			t.Fatalf("%s: the merchant holds %s base units, want %d", r.id, got, r.units)
		}
	}
	if n := s.count("payments"); n != 2 {
		t.Fatalf("%d payments stored, want 2", n)
	}

	// A repeat of each, sent lower case first, gets its own stored return.
	for _, id := range []string{"w-1", "W-1"} {
		s.publish(s.public, queue, s.request(currentSecret, map[string]any{"request_id": id}, time.Now()))
		again := s.next("repeat of " + id)
		if !bytes.Equal(again.Body, finals[id].Body) || again.MessageID != finals[id].MessageID {
			t.Fatalf("repeat of %s answered %s, want %s", id, again.Body, finals[id].Body)
		}
	}
}
