package app

import (
	"bytes"
	"encoding/json"
	"maps"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
	"paysuite/services/withdraw/internal/store"
)

// Only a correctly signed request moves funds. After a withdrawal is final,
// a message with its request_id and no sign, one with a bad sign, and a
// correctly signed repeat with a stale timestamp change nothing: the first two
// are rejected, the third gets exactly the stored return again. Every return
// of the flow (submitted, final with status 1 and 0, rejected), republished
// unchanged as a request, is rejected as invalid_request and changes nothing.
// A rotation of the signing secret is under way: a request signed with the
// previous secret is accepted, and every return is signed with the current
// one.
func TestOnlySignedRequestsMoveFunds(t *testing.T) {
	s := start(t)
	queue := s.Cfg.Names.WithdrawQueue
	paid, other := s.Address("paid"), s.Address("other")

	s.Publish(s.Public, queue, s.Request(previousSecret, map[string]any{
		"request_id": "w-paid", "to_address": paid.Hex(), "amount": "1.5"}, time.Now()))
	submitted := s.Expect("w-paid", contract.EventSubmitted, contract.StatusPending)
	final := s.Expect("w-paid", contract.EventWithdraw, contract.StatusSuccess)
	s.Publish(s.Public, queue, s.Request(currentSecret, map[string]any{
		"request_id": "w-refused", "to_address": paid.Hex(), "amount": "5000000"}, time.Now()))
	refused := s.Expect("w-refused", contract.EventWithdraw, contract.StatusFailed)
	if refused.Str("error") != contract.ErrInsufficientBalance {
		t.Fatalf("refusal %s, want insufficient_balance", refused.Body)
	}
	s.ExpectSealedAlert(events.AlertLowBalance)
	before := s.state(paid, other)

	forged := map[string]any{"request_id": "w-paid", "to_address": other.Hex(), "amount": "7", "timestamp": time.Now().Unix()}
	unsigned, err := json.Marshal(forged)
	if err != nil {
		t.Fatal(err)
	}
	s.Publish(s.Public, queue, unsigned)
	s.Publish(s.Public, queue, s.Request([]byte("not-the-signing-secret"), forged, time.Now()))
	forged["timestamp"] = time.Now().Add(-time.Hour).Unix()
	s.Publish(s.Public, queue, s.Request(currentSecret, forged, time.Now()))
	rejected := s.ExpectRejected("w-paid", contract.ErrBadSignature)
	s.ExpectRejected("w-paid", contract.ErrBadSignature)
	again := s.Next("the stale signed repeat")
	if !bytes.Equal(again.Body, final.Body) || again.MessageID != final.MessageID {
		t.Fatalf("stale signed repeat answered %s (%s), want the stored %s (%s)", again.Body, again.MessageID, final.Body, final.MessageID)
	}

	returns := []servicetest.Return{submitted, final, refused, rejected}
	for _, r := range returns {
		s.Publish(s.Public, queue, r.Body)
	}
	for _, r := range returns {
		s.ExpectRejected(r.Str("request_id"), contract.ErrInvalidRequest)
	}
	// Every answer before this one's has been read: there was none but those.
	s.Publish(s.Public, queue, []byte(`{"request_id":"w-last"}`))
	s.ExpectRejected("w-last", contract.ErrBadSignature)
	if after := s.state(paid, other); !maps.Equal(before, after) {
		t.Fatalf("state changed:\nbefore %v\nafter  %v", before, after)
	}
}

// state is what a forged message must not change (payoutapptest.Suite.State).
func (s *suite) state(holders ...common.Address) map[string]string {
	return s.State(&[]store.Withdrawal{}, []common.Address{s.Hot()}, holders...)
}
