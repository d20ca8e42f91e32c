package app_test

import (
	"testing"

	"paysuite/pkg/service/servicetest"
	"paysuite/services/matcher/internal/store"
)

// TestRequestIDsDifferingInCase: request_id and order_id are compared byte
// for byte (contract section 2), so W-1 and w-1 (for orders O-1 and o-1) are
// two orders with an address each, each paid and reported under its own
// request_id, and a repeat of either gets its own stored return back.
func TestRequestIDsDifferingInCase(t *testing.T) {
	s := start(t)
	orders := map[string]string{"W-1": "O-1", "w-1": "o-1"}
	s.CheckIDsDifferingInCase(func(id, amount string) map[string]any {
		return map[string]any{"request_id": id, "order_id": orders[id], "amount": amount}
	}, func(id string, r servicetest.Return) {
		if r.Str("order_id") != orders[id] {
			t.Fatalf("%s: return %s, want order_id %s", id, r.Body, orders[id])
		}
	})
	for id := range orders {
		if st := s.state(id); st != store.StatePaid {
			t.Fatalf("%s: order %s after its payment was confirmed", id, st)
		}
	}
}
