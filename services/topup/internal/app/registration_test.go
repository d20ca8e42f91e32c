package app_test

import (
	"testing"

	"paysuite/pkg/broker/brokertest"
	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
)

// TestRegistrationCarriesHandOutBlock: the address list that asks the
// listener to watch new addresses carries, for each, the block from which
// its transfers must be found: for an allocated address the chain head read
// before it was handed out (never later, so no deposit can be in an earlier
// block), for a given one TOPUP_WATCH_HISTORY_BLOCKS (256) before that.
func TestRegistrationCarriesHandOutBlock(t *testing.T) {
	s := start(t)
	lists := brokertest.Follow(t, s.Internal, events.WatchListQueue)
	s.Chain.Mine(300)
	given := "0x00000000000000000000000000000000000000d1"
	for _, fields := range []map[string]any{{"request_id": "h-1"}, {"request_id": "h-2", "address": given}} {
		r, before, after := s.HandOut(fields)
		list := servicetest.Open[events.AddressList](t, s.Keys, lists, "address list")
		if len(list.Addresses) != 1 || list.Addresses[0].Address != r.Str("address") || list.Addresses[0].FromBlock == nil {
			t.Fatalf("address list %+v for %s", list, r.Body)
		}
		from := *list.Addresses[0].FromBlock
		lo, hi := before, after
		if r.Str("address") == given {
			lo, hi = before-256, after-256
		}
		if from < lo || from > hi {
			t.Errorf("%s: from block %d, want %d..%d", fields["request_id"], from, lo, hi)
		}
	}
}
