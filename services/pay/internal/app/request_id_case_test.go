package app

import (
	"testing"

	"paysuite/pkg/service/servicetest"
)

// TestRequestIDsDifferingInCase: see
// payoutapptest.Suite.RequestIDsDifferingInCase; each payment is for an
// order of its own, which its returns name.
func TestRequestIDsDifferingInCase(t *testing.T) {
	s := start(t, nil)
	user := s.learn(1)
	order := func(id string) string { return "order-" + id }
	s.RequestIDsDifferingInCase("payments", func(id, to, amount string) map[string]any {
		return map[string]any{"request_id": id, "order_id": order(id), "from_address": user.Hex(), "to_address": to, "amount": amount}
	}, func(id string, r servicetest.Return) {
		if r.Str("order_id") != order(id) {
			t.Fatalf("%s: return %s, want order_id %s", id, r.Body, order(id))
		}
	})
}
