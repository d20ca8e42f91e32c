package app_test

import (
	"testing"

	"paysuite/pkg/broker/brokertest"
	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
)

// TestOrderAddressCarriesHandOutBlock: the request that asks the listener to
// watch an address-mode order's fresh address carries the chain head read
// before the address was handed out (never later), so the listener finds a
// payment however late the request reaches it.
func TestOrderAddressCarriesHandOutBlock(t *testing.T) {
	s := start(t)
	watches := brokertest.Follow(t, s.Internal, events.WatchQueue)
	s.Chain.Mine(20)
	created, before, after := s.HandOut(map[string]any{"request_id": "w-1", "order_id": "w-1", "amount": "5"})
	for {
		w := servicetest.Open[events.WatchAddress](t, s.Keys, watches, "watch request")
		if w.Address != created.Str("pay_address") {
			continue // the shared address, watched at start without a block
		}
		if w.FromBlock == nil || *w.FromBlock < before || *w.FromBlock > after {
			t.Fatalf("watch request %+v, want from_block in %d..%d", w, before, after)
		}
		return
	}
}
