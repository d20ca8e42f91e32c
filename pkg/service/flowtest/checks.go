package flowtest

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
	"paysuite/pkg/witness"
	"paysuite/pkg/witness/witnesstest"
)

// The behaviours every flow service shares, checked the same way for each.

// ReportWithWebhooks sends ev, a transfer to the address of id, as seen
// and then as confirmed, and checks that each report of it is returned,
// pending then confirmed, and handed to the notifier for callback.
func (s *Suite) ReportWithWebhooks(id string, ev events.Transfer, callback string) {
	s.T.Helper()
	s.Transfer(s.Keys, ev)
	s.Webhook(s.Expect(id, s.svc.Reported, contract.StatusPending, ""), callback)
	s.Chain.Mine(Depth - 1)
	s.Transfer(s.Keys, witnesstest.Confirmed(ev, Depth))
	s.Webhook(s.Expect(id, s.svc.Reported, contract.StatusSuccess, ""), callback)
}

// RefuseContradicted sends the confirmation of ev changed in each way the
// chain contradicts (servicetest.Contradictions, with amount as the changed
// amount), sealed correctly as a compromised listener would, and checks that
// each is dead-lettered with an alert of the service.
func (s *Suite) RefuseContradicted(ev events.Transfer, amount string) {
	s.T.Helper()
	for _, lie := range servicetest.Contradictions(amount) {
		forged := witnesstest.Confirmed(ev, Depth)
		lie.Change(&forged)
		s.Transfer(s.Keys, forged)
		if reason := s.DeadLetter(); !strings.Contains(reason, "not on chain as claimed") {
			s.T.Fatalf("%s: dead-lettered for %q", lie.Name, reason)
		}
		if a := s.Alert(); a.Kind != witness.AlertNotOnChain || a.Service != s.svc.Name {
			s.T.Fatalf("%s: alert %+v", lie.Name, a)
		}
	}
}

// RefuseForged sends the confirmation of ev unsealed and sealed with keys
// not the suite's, and checks that both are dead-lettered as not
// authenticated with a forged-message alert.
func (s *Suite) RefuseForged(ev events.Transfer) {
	s.T.Helper()
	forged := witnesstest.Confirmed(ev, Depth)
	plain, err := json.Marshal(forged)
	if err != nil {
		s.T.Fatal(err)
	}
	other, err := events.NewKeys([]byte("not the suite's internal secret"))
	if err != nil {
		s.T.Fatal(err)
	}
	s.PublishInternal(events.TransferKey(s.svc.Owner), plain)
	s.Transfer(other, forged)
	for range 2 {
		if reason := s.DeadLetter(); !strings.Contains(reason, "not authenticated") {
			s.T.Fatalf("forged event dead-lettered for %q", reason)
		}
		if a := s.Alert(); a.Kind != events.AlertForgedMessage {
			s.T.Fatalf("alert %+v", a)
		}
	}
}

// CheckGate checks, once the request of g-1 was accepted, that
// an unsigned or badly signed repeat gets only a rejected return, a
// correctly signed stale repeat the stored return, a stale request never
// seen a stale_timestamp refusal, and returns published back to the request
// queue are rejected as invalid_request; none of them changes anything, so
// the fresh request of g-2 is answered next and table holds two rows.
// request builds the fields of the request of id.
func (s *Suite) CheckGate(table string, request func(id string) map[string]any) {
	accepted := s.svc.Accepted
	s.T.Helper()
	s.Request(request("g-1"), s.Secret, time.Now())
	first := s.Expect("g-1", accepted, contract.StatusSuccess, "")

	unsigned := request("g-1")
	unsigned["timestamp"] = time.Now().Unix()
	s.Request(unsigned, nil, time.Time{})
	s.Expect("g-1", contract.EventRejected, contract.StatusFailed, contract.ErrBadSignature)
	unsigned["sign"] = strings.Repeat("0", 64)
	s.Request(unsigned, nil, time.Time{})
	s.Expect("g-1", contract.EventRejected, contract.StatusFailed, contract.ErrBadSignature)
	s.Request(request("g-1"), []byte("not the suite's secret"), time.Now())
	s.Expect("g-1", contract.EventRejected, contract.StatusFailed, contract.ErrBadSignature)

	s.Request(request("g-1"), s.Secret, time.Now().Add(-time.Hour))
	if again := s.Next(); string(again.Body) != string(first.Body) {
		s.T.Fatalf("stale signed repeat answered %s, want the stored %s", again.Body, first.Body)
	}
	s.Request(request("g-unknown"), s.Secret, time.Now().Add(-time.Hour))
	s.Expect("g-unknown", contract.EventRejected, contract.StatusFailed, contract.ErrStaleTimestamp)

	s.PublishRequest(first.Body)
	rejected := s.Expect("g-1", contract.EventRejected, contract.StatusFailed, contract.ErrInvalidRequest)
	s.PublishRequest(rejected.Body)
	s.Expect("g-1", contract.EventRejected, contract.StatusFailed, contract.ErrInvalidRequest)

	// A fresh request is answered next: nothing else was queued before it.
	s.Request(request("g-2"), s.Secret, time.Now())
	s.Expect("g-2", accepted, contract.StatusSuccess, "")
	if n := s.Count("SELECT COUNT(*) FROM " + table); n != 2 {
		s.T.Fatalf("%d %s, want those of g-1 and g-2", n, table)
	}
}

// CheckIDsDifferingInCase checks that request_id is compared byte for byte
// (contract section 2): the requests of W-1 and w-1, built by request with
// the amounts 1 and 2, are two, with an address each, each paid that amount
// and reported under its own request_id with message_ids of its own, and a
// repeat of either, lower case first, gets its own stored return back.
// check checks each return of id further.
func (s *Suite) CheckIDsDifferingInCase(request func(id, amount string) map[string]any, check func(id string, r servicetest.Return)) {
	s.T.Helper()
	ids, amounts := []string{"W-1", "w-1"}, []string{"1", "2"}
	accepted := map[string]servicetest.Return{}
	for i, id := range ids {
		s.Request(request(id, amounts[i]), s.Secret, time.Now())
		accepted[id] = s.Expect(id, s.svc.Accepted, contract.StatusSuccess, "")
		check(id, accepted[id])
	}
	address := func(id string) string { return accepted[id].Str(s.svc.Address) }
	if address("W-1") == address("w-1") {
		s.T.Fatalf("W-1 and w-1 share the address %s", address("W-1"))
	}

	evs := s.Chain.Pay([]common.Address{common.HexToAddress(address("W-1")), common.HexToAddress(address("w-1"))},
		[]int64{1_000_000, 2_000_000})
	s.Chain.Mine(Depth - 1)
	messageIDs := map[string]string{}
	for i, id := range ids {
		s.Transfer(s.Keys, evs[i])
		pending := s.Expect(id, s.svc.Reported, contract.StatusPending, "")
		s.Transfer(s.Keys, witnesstest.Confirmed(evs[i], Depth))
		confirmed := s.Expect(id, s.svc.Reported, contract.StatusSuccess, "")
		for _, r := range []servicetest.Return{accepted[id], pending, confirmed} {
			if other, seen := messageIDs[r.MessageID]; seen {
				s.T.Fatalf("%s and %s share the message_id %s", other, id, r.MessageID)
			}
			messageIDs[r.MessageID] = id
			if r.Str(s.svc.Address) != address(id) {
				s.T.Fatalf("%s: return %s, want address %s", id, r.Body, address(id))
			}
			check(id, r)
		}
		if confirmed.Str(s.svc.Amount) != amounts[i] {
			s.T.Fatalf("%s: reported %s, want amount %s", id, confirmed.Body, amounts[i])
		}
	}

	for _, i := range []int{1, 0} {
		id := ids[i]
		s.Request(request(id, amounts[i]), s.Secret, time.Now())
		if again := s.Next(); !bytes.Equal(again.Body, accepted[id].Body) || again.MessageID != accepted[id].MessageID {
			s.T.Fatalf("repeat of %s answered %s, want %s", id, again.Body, accepted[id].Body)
		}
	}
}

// CheckWebhookRefusals checks what hands the notifier nothing: first is the
// accepted return of request(id, callback), its webhook already read, and
// the request repeated, fresh and stale, gets the stored return again and no
// second webhook; a request whose callback_url is refused gets none either.
// A refusal is a return of the request, even one on a field checked before
// callback_url (an unknown token): it goes there, and is the next webhook.
// request builds the fields of the request of id with callback_url callback.
func (s *Suite) CheckWebhookRefusals(first servicetest.Return, callback string, request func(id, callback string) map[string]any) {
	s.T.Helper()
	id := first.Str("request_id")
	s.Request(request(id, callback), s.Secret, time.Now())
	if again := s.Next(); string(again.Body) != string(first.Body) || again.MessageID != first.MessageID {
		s.T.Fatalf("repeat answered %s, want the stored %s", again.Body, first.Body)
	}
	s.Request(request(id, callback), s.Secret, time.Now().Add(-time.Hour))
	s.Expect(id, s.svc.Accepted, contract.StatusSuccess, "")

	s.Request(request("w-refused", "ftp://shop.example"), s.Secret, time.Now())
	s.Expect("w-refused", s.svc.Accepted, contract.StatusFailed, contract.ErrInvalidRequest)

	unknown := request("w-unknown-token", callback)
	unknown["symbol"] = "DOGE"
	s.Request(unknown, s.Secret, time.Now())
	s.Webhook(s.Expect("w-unknown-token", s.svc.Accepted, contract.StatusFailed, contract.ErrUnknownToken), callback)
}
