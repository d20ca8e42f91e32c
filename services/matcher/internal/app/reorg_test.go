package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
	"paysuite/pkg/witness/witnesstest"
	"paysuite/services/matcher/internal/store"
)

// TestReorgedPaymentReported: a payment reported seen whose block a
// reorganisation of the chain replaces is reported paid status 0 reorged,
// on the return queue and to the callback, with an operator alert, once
// however often the listener's event is delivered. When the same
// transaction is mined again, it is reported anew: a status 2 that is a
// return of its own (another message_id, the new block), then status 1.
func TestReorgedPaymentReported(t *testing.T) {
	s := start(t)
	ev, created := s.payOrder("r-1", hook)
	s.Webhook(created, hook)
	tx, _, err := s.Chain.Eth.TransactionByHash(t.Context(), common.HexToHash(ev.TxHash))
	if err != nil {
		t.Fatal(err)
	}
	s.Transfer(s.Keys, ev)
	seen := s.Expect("r-1", contract.EventPaid, contract.StatusPending, "")
	s.Webhook(seen, hook)

	s.Chain.Reorg(1, ev.TxHash)
	removed := ev
	removed.Kind, removed.Sequence = events.KindRemoved, ev.Sequence+1
	s.Transfer(s.Keys, removed)
	s.Transfer(s.Keys, removed) // delivered twice
	reorged := s.Expect("r-1", contract.EventPaid, contract.StatusFailed, contract.ErrReorged)
	if reorged.Str("tx_hash") != ev.TxHash || reorged.Str("paid_amount") != "4" || reorged.MessageID == seen.MessageID {
		t.Fatalf("reorged return %s (message_id %s)", reorged.Body, reorged.MessageID)
	}
	s.Webhook(reorged, hook)
	if a := s.Alert(); a.Kind != "payment_reorged" || a.Key != "r-1" || a.Service != "matcher" {
		t.Fatalf("alert %+v", a)
	}
	if st := s.state("r-1"); st != store.StateOpen {
		t.Fatalf("order %s after its only payment was removed", st)
	}

	// The payer's wallet broadcasts the same transaction again.
	if err := s.Chain.Eth.SendTransaction(t.Context(), tx); err != nil {
		t.Fatal(err)
	}
	again := ev
	again.Sequence = removed.Sequence + 1
	r := s.Chain.Mined(tx.Hash())
	again.BlockNumber, again.BlockHash = r.BlockNumber.Uint64(), strings.ToLower(r.BlockHash.Hex())
	s.Transfer(s.Keys, again)
	seenAgain := s.Expect("r-1", contract.EventPaid, contract.StatusPending, "")
	if seenAgain.MessageID == seen.MessageID || seenAgain.Int("block_number") != int(again.BlockNumber) {
		t.Fatalf("seen again %s (message_id %s), first seen %s (message_id %s)",
			seenAgain.Body, seenAgain.MessageID, seen.Body, seen.MessageID)
	}
	s.Webhook(seenAgain, hook)
	s.Chain.Mine(depth - 1)
	s.Transfer(s.Keys, witnesstest.Confirmed(again, depth))
	s.Webhook(s.Expect("r-1", contract.EventPaid, contract.StatusSuccess, ""), hook)
	if st := s.state("r-1"); st != store.StatePaid {
		t.Fatalf("order %s after its payment was confirmed", st)
	}
}

// TestConfirmedPaymentRemoved: a payment reported confirmed (status 1, final)
// that a reorganisation deeper than the confirmation depth removes stays
// confirmed and the order paid; no return says otherwise, and operators get a
// confirmed_removed alert.
func TestConfirmedPaymentRemoved(t *testing.T) {
	s := start(t)
	ev, created := s.payOrder("c-1", hook)
	s.Webhook(created, hook)
	s.Transfer(s.Keys, ev)
	s.Webhook(s.Expect("c-1", contract.EventPaid, contract.StatusPending, ""), hook)
	s.Chain.Mine(depth - 1)
	confirmed := witnesstest.Confirmed(ev, depth)
	s.Transfer(s.Keys, confirmed)
	s.Webhook(s.Expect("c-1", contract.EventPaid, contract.StatusSuccess, ""), hook)

	s.Chain.Reorg(depth, ev.TxHash)
	removed := confirmed
	removed.Kind, removed.Sequence = events.KindRemoved, confirmed.Sequence+1
	s.Transfer(s.Keys, removed)
	s.Transfer(s.Keys, removed) // delivered twice
	a := s.Alert()
	if a.Kind != events.AlertConfirmedRemoved || a.Service != "matcher" ||
		a.Key != contract.DepositID(ev.Chain, ev.TxHash, ev.LogIndex) || !strings.Contains(a.Message, "c-1") {
		t.Fatalf("alert %+v", a)
	}
	// No return and no webhook came of the removal: the next ones are those
	// of the next order.
	s.Request(map[string]any{"request_id": "c-2", "order_id": "o-c-2", "amount": "1", "callback_url": hook},
		s.Secret, time.Now())
	s.Webhook(s.Expect("c-2", contract.EventCreated, contract.StatusSuccess, ""), hook)
	if st := s.state("c-1"); st != store.StatePaid {
		t.Fatalf("confirmed order became %s", st)
	}
}

// payOrder opens an order of 4 USDT with callback and pays it on chain; it
// returns the transfer as the listener first reports it, and the created return.
func (s *suite) payOrder(requestID, callback string) (events.Transfer, servicetest.Return) {
	s.T.Helper()
	s.Request(map[string]any{"request_id": requestID, "order_id": "o-" + requestID, "amount": "4", "callback_url": callback},
		s.Secret, time.Now())
	created := s.Expect(requestID, contract.EventCreated, contract.StatusSuccess, "")
	return s.pay(created), created
}
