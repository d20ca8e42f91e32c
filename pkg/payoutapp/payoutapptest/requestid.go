package payoutapptest

import (
	"bytes"
	"math/big"
	"time"

	"paysuite/pkg/contract"
	"paysuite/pkg/service/servicetest"
)

// RequestIDsDifferingInCase checks that request_id is compared byte for byte
// (contract section 2): W-1 and w-1 are two requests, each paid by a
// transaction of its own and answered with signed returns of its own, and a
// repeat of either gets its own stored return back. request is the fields
// of the request id paying amount to the address to; check, when set,
// checks each return of id further; table holds the flow's requests.
func (s *Suite[C]) RequestIDsDifferingInCase(table string, request func(id string, to string, amount string) map[string]any,
	check func(id string, r servicetest.Return)) {
	t := s.T
	requests := []struct {
		id, to, amount string
		units          int64
	}{
		{"W-1", "upper", "1", 1_000_000},
		{"w-1", "lower", "2", 2_000_000},
	}
	finals := map[string]servicetest.Return{}
	messageIDs := map[string]string{}
	for _, r := range requests {
		s.Publish(s.Public, s.Queue, s.Request(CurrentSecret, request(r.id, s.Address(r.to).Hex(), r.amount), time.Now()))
		submitted := s.Expect(r.id, contract.EventSubmitted, contract.StatusPending)
		final := s.Expect(r.id, s.Service.FinalEvent, contract.StatusSuccess)
		for _, ret := range []servicetest.Return{submitted, final} {
			if other, seen := messageIDs[ret.MessageID]; seen {
				t.Fatalf("%s and %s share the message_id %s", other, r.id, ret.MessageID)
			}
			messageIDs[ret.MessageID] = r.id
			if check != nil {
				check(r.id, ret)
			}
		}
		if submitted.Str("tx_hash") == "" || submitted.Str("tx_hash") != final.Str("tx_hash") {
			t.Fatalf("%s: submitted %s, final %s", r.id, submitted.Body, final.Body)
		}
		finals[r.id] = final
	}
	if finals["W-1"].Str("tx_hash") == finals["w-1"].Str("tx_hash") {
		t.Fatalf("W-1 and w-1 were paid by one transaction %s", finals["W-1"].Str("tx_hash"))
	}
	for _, r := range requests {
		if got := s.TokensOf(s.Address(r.to)); got.Cmp(big.NewInt(r.units)) != 0 {
			t.Fatalf("%s: the recipient holds %s base units, want %d", r.id, got, r.units)
		}
	}
	if n := s.Count(table); n != 2 {
		t.Fatalf("%d %s stored, want 2", n, table)
	}

	// A repeat of each, sent lower case first, gets its own stored return.
	for _, id := range []string{"w-1", "W-1"} {
		s.Publish(s.Public, s.Queue, s.Request(CurrentSecret, map[string]any{"request_id": id}, time.Now()))
		again := s.Next("repeat of " + id)
		if !bytes.Equal(again.Body, finals[id].Body) || again.MessageID != finals[id].MessageID {
			t.Fatalf("repeat of %s answered %s, want %s", id, again.Body, finals[id].Body)
		}
	}
}
