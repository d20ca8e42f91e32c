package app_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/contract"
	"paysuite/pkg/service/servicetest"
	"paysuite/pkg/witness/witnesstest"
)

// TestRequestIDsDifferingInCase: request_id is compared byte for byte
// (contract section 2), so W-1 and w-1 are two registrations with an address
// each, whose deposits are reported to each under its own request_id, and a
// repeat of either gets its own stored return back.
func TestRequestIDsDifferingInCase(t *testing.T) {
	s := start(t)
	secret := []byte(s.cfg.SignSecret)
	ids := []string{"W-1", "w-1"}
	registered := map[string]servicetest.Return{}
	for _, id := range ids {
		s.request(map[string]any{"request_id": id}, secret, time.Now())
		registered[id] = s.expect(id, contract.EventRegistered, contract.StatusSuccess, "")
	}
	if registered["W-1"].Str("address") == registered["w-1"].Str("address") {
		t.Fatalf("W-1 and w-1 share the address %s", registered["W-1"].Str("address"))
	}

	evs := s.chain.Pay([]common.Address{
		common.HexToAddress(registered["W-1"].Str("address")), common.HexToAddress(registered["w-1"].Str("address")),
	}, []int64{1_000_000, 2_000_000})
	s.chain.Mine(depth - 1)
	messageIDs := map[string]string{}
	for i, id := range ids {
		s.transfer(s.keys, evs[i])
		pending := s.expect(id, contract.EventDeposit, contract.StatusPending, "")
		s.transfer(s.keys, witnesstest.Confirmed(evs[i], depth))
		confirmed := s.expect(id, contract.EventDeposit, contract.StatusSuccess, "")
		for _, r := range []servicetest.Return{registered[id], pending, confirmed} {
			if other, seen := messageIDs[r.MessageID]; seen {
				t.Fatalf("%s and %s share the message_id %s", other, id, r.MessageID)
			}
			messageIDs[r.MessageID] = id
			if r.Str("address") != registered[id].Str("address") {
				t.Fatalf("%s: return %s, want address %s", id, r.Body, registered[id].Str("address"))
			}
		}
		if want := []string{"1", "2"}[i]; confirmed.Str("amount") != want {
			t.Fatalf("%s: deposit %s, want amount %s", id, confirmed.Body, want)
		}
	}
	if n := s.count("SELECT COUNT(*) FROM registrations"); n != 2 {
		t.Fatalf("%d registrations stored, want 2", n)
	}

	// A repeat of each, sent lower case first, gets its own stored return.
	for _, id := range []string{"w-1", "W-1"} {
		s.request(map[string]any{"request_id": id}, secret, time.Now())
		if again := s.next(); !bytes.Equal(again.Body, registered[id].Body) || again.MessageID != registered[id].MessageID {
			t.Fatalf("repeat of %s answered %s, want %s", id, again.Body, registered[id].Body)
		}
	}
}
