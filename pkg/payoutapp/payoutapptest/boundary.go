package payoutapptest

import (
	"bytes"
	"encoding/json"
	"maps"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
)

// OnlySignedRequestsMoveFunds checks that only a correctly signed request
// moves funds. After a request is final, a message with its request_id and
// no sign, one with a bad sign, and a correctly signed repeat with a stale
// timestamp change nothing: the first two are rejected, the third gets
// exactly the stored return again. Every return of the flow (submitted,
// final with status 1 and 0, rejected), republished unchanged as a request,
// is rejected as invalid_request and changes nothing. A rotation of the
// signing secret is under way: a request signed with the previous secret is
// accepted, and every return is signed with the current one.
//
// request is the fields of the request id paying amount to the address to;
// check, when set, checks the paid request's final return further; state is
// what a forged message must not change, with the tokens of holders.
func (s *Suite[C]) OnlySignedRequestsMoveFunds(prefix string, request func(id string, to common.Address, amount string) map[string]any,
	check func(r servicetest.Return), state func(holders ...common.Address) map[string]string) {
	t := s.T
	t.Helper()
	paid, other := s.Address("paid"), s.Address("other")
	id := prefix + "-paid"

	s.Publish(s.Public, s.Queue, s.Request(PreviousSecret, request(id, paid, "1.5"), time.Now()))
	submitted := s.Expect(id, contract.EventSubmitted, contract.StatusPending)
	final := s.Expect(id, s.Service.FinalEvent, contract.StatusSuccess)
	if check != nil {
		check(final)
	}
	s.Publish(s.Public, s.Queue, s.Request(CurrentSecret, request(prefix+"-refused", paid, "5000000"), time.Now()))
	refused := s.Expect(prefix+"-refused", s.Service.FinalEvent, contract.StatusFailed)
	if refused.Str("error") != contract.ErrInsufficientBalance {
		t.Fatalf("refusal %s, want insufficient_balance", refused.Body)
	}
	s.ExpectSealedAlert(events.AlertLowBalance)
	before := state(paid, other)

	forged := request(id, other, "7")
	forged["timestamp"] = time.Now().Unix()
	unsigned, err := json.Marshal(forged)
	if err != nil {
		t.Fatal(err)
	}
	s.Publish(s.Public, s.Queue, unsigned)
	s.Publish(s.Public, s.Queue, s.Request([]byte("not-the-signing-secret"), forged, time.Now()))
	forged["timestamp"] = time.Now().Add(-time.Hour).Unix()
	s.Publish(s.Public, s.Queue, s.Request(CurrentSecret, forged, time.Now()))
	rejected := s.ExpectRejected(id, contract.ErrBadSignature)
	s.ExpectRejected(id, contract.ErrBadSignature)
	again := s.Next("the stale signed repeat")
	if !bytes.Equal(again.Body, final.Body) || again.MessageID != final.MessageID {
		t.Fatalf("stale signed repeat answered %s (%s), want the stored %s (%s)", again.Body, again.MessageID, final.Body, final.MessageID)
	}

	returns := []servicetest.Return{submitted, final, refused, rejected}
	for _, r := range returns {
		s.Publish(s.Public, s.Queue, r.Body)
	}
	for _, r := range returns {
		s.ExpectRejected(r.Str("request_id"), contract.ErrInvalidRequest)
	}
	// Every answer before this one's has been read: there was none but those.
	last := prefix + "-last"
	s.Publish(s.Public, s.Queue, []byte(`{"request_id":"`+last+`"}`))
	s.ExpectRejected(last, contract.ErrBadSignature)
	if after := state(paid, other); !maps.Equal(before, after) {
		t.Fatalf("state changed:\nbefore %v\nafter  %v", before, after)
	}
}
