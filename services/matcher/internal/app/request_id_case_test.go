package app_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/contract"
	"paysuite/pkg/service/servicetest"
	"paysuite/pkg/witness/witnesstest"
	"paysuite/services/matcher/internal/store"
)

// TestRequestIDsDifferingInCase: request_id and order_id are compared byte
// for byte (contract section 2), so W-1 and w-1 (for orders O-1 and o-1) are
// two orders with an address each, each paid and reported under its own
// request_id, and a repeat of either gets its own stored return back.
func TestRequestIDsDifferingInCase(t *testing.T) {
	s := start(t)
	secret := []byte(s.cfg.SignSecret)
	orders := []struct{ id, order, amount string }{{"W-1", "O-1", "1"}, {"w-1", "o-1", "2"}}
	created := map[string]servicetest.Return{}
	for _, o := range orders {
		s.request(map[string]any{"request_id": o.id, "order_id": o.order, "amount": o.amount}, secret, time.Now())
		created[o.id] = s.expect(o.id, contract.EventCreated, contract.StatusSuccess, "")
		if created[o.id].Str("order_id") != o.order {
			t.Fatalf("%s: created %s, want order_id %s", o.id, created[o.id].Body, o.order)
		}
	}
	if created["W-1"].Str("pay_address") == created["w-1"].Str("pay_address") {
		t.Fatalf("W-1 and w-1 share the address %s", created["W-1"].Str("pay_address"))
	}

	evs := s.chain.Pay([]common.Address{
		common.HexToAddress(created["W-1"].Str("pay_address")), common.HexToAddress(created["w-1"].Str("pay_address")),
	}, []int64{1_000_000, 2_000_000})
	s.chain.Mine(depth - 1)
	messageIDs := map[string]string{}
	for i, o := range orders {
		s.transfer(s.keys, evs[i])
		seen := s.expect(o.id, contract.EventPaid, contract.StatusPending, "")
		s.transfer(s.keys, witnesstest.Confirmed(evs[i], depth))
		confirmed := s.expect(o.id, contract.EventPaid, contract.StatusSuccess, "")
		for _, r := range []servicetest.Return{created[o.id], seen, confirmed} {
			if other, dup := messageIDs[r.MessageID]; dup {
				t.Fatalf("%s and %s share the message_id %s", other, o.id, r.MessageID)
			}
			messageIDs[r.MessageID] = o.id
			if r.Str("order_id") != o.order || r.Str("pay_address") != created[o.id].Str("pay_address") {
				t.Fatalf("%s: return %s, want order %s at %s", o.id, r.Body, o.order, created[o.id].Str("pay_address"))
			}
		}
		if confirmed.Str("paid_amount") != o.amount {
			t.Fatalf("%s: paid %s, want %s", o.id, confirmed.Body, o.amount)
		}
		if st := s.state(o.id); st != store.StatePaid {
			t.Fatalf("%s: order %s after its payment was confirmed", o.id, st)
		}
	}

	// A repeat of each, sent lower case first, gets its own stored return.
	for _, o := range []int{1, 0} {
		id := orders[o].id
		s.request(map[string]any{"request_id": id, "order_id": orders[o].order, "amount": orders[o].amount}, secret, time.Now())
		if again := s.next(); !bytes.Equal(again.Body, created[id].Body) || again.MessageID != created[id].MessageID {
			t.Fatalf("repeat of %s answered %s, want %s", id, again.Body, created[id].Body)
		}
	}
}
