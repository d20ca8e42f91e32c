package app_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/money"
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
	const hook = "https://shop.example/orders"
	ev, created := s.payOrder("r-1", hook)
	s.webhook(created, hook)
	tx, _, err := s.chain.Eth.TransactionByHash(t.Context(), common.HexToHash(ev.TxHash))
	if err != nil {
		t.Fatal(err)
	}
	s.transfer(s.keys, ev)
	seen := s.expect("r-1", contract.EventPaid, contract.StatusPending, "")
	s.webhook(seen, hook)

	s.reorg(1, ev.TxHash)
	removed := ev
	removed.Kind, removed.Sequence = events.KindRemoved, ev.Sequence+1
	s.transfer(s.keys, removed)
	s.transfer(s.keys, removed) // delivered twice
	reorged := s.expect("r-1", contract.EventPaid, contract.StatusFailed, contract.ErrReorged)
	if reorged.Str("tx_hash") != ev.TxHash || reorged.Str("paid_amount") != "4" || reorged.MessageID == seen.MessageID {
		t.Fatalf("reorged return %s (message_id %s)", reorged.Body, reorged.MessageID)
	}
	s.webhook(reorged, hook)
	if a := s.alert(); a.Kind != "payment_reorged" || a.Key != "r-1" || a.Service != "matcher" {
		t.Fatalf("alert %+v", a)
	}
	if st := s.state("r-1"); st != store.StateOpen {
		t.Fatalf("order %s after its only payment was removed", st)
	}

	// The payer's wallet broadcasts the same transaction again.
	if err := s.chain.Eth.SendTransaction(t.Context(), tx); err != nil {
		t.Fatal(err)
	}
	again := ev
	again.Sequence = removed.Sequence + 1
	again.BlockNumber, again.BlockHash = s.mined(tx.Hash())
	s.transfer(s.keys, again)
	seenAgain := s.expect("r-1", contract.EventPaid, contract.StatusPending, "")
	if seenAgain.MessageID == seen.MessageID || seenAgain.Int("block_number") != int(again.BlockNumber) {
		t.Fatalf("seen again %s (message_id %s), first seen %s (message_id %s)",
			seenAgain.Body, seenAgain.MessageID, seen.Body, seen.MessageID)
	}
	s.webhook(seenAgain, hook)
	s.chain.Mine(depth - 1)
	s.transfer(s.keys, witnesstest.Confirmed(again, depth))
	s.webhook(s.expect("r-1", contract.EventPaid, contract.StatusSuccess, ""), hook)
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
	const hook = "https://shop.example/orders"
	ev, created := s.payOrder("c-1", hook)
	s.webhook(created, hook)
	s.transfer(s.keys, ev)
	s.webhook(s.expect("c-1", contract.EventPaid, contract.StatusPending, ""), hook)
	s.chain.Mine(depth - 1)
	confirmed := witnesstest.Confirmed(ev, depth)
	s.transfer(s.keys, confirmed)
	s.webhook(s.expect("c-1", contract.EventPaid, contract.StatusSuccess, ""), hook)

	s.reorg(depth, ev.TxHash)
	removed := confirmed
	removed.Kind, removed.Sequence = events.KindRemoved, confirmed.Sequence+1
	s.transfer(s.keys, removed)
	s.transfer(s.keys, removed) // delivered twice
	a := s.alert()
	if a.Kind != events.AlertConfirmedRemoved || a.Service != "matcher" ||
		a.Key != contract.DepositID(ev.Chain, ev.TxHash, ev.LogIndex) || !strings.Contains(a.Message, "c-1") {
		t.Fatalf("alert %+v", a)
	}
	// No return and no webhook came of the removal: the next ones are those
	// of the next order.
	s.request(map[string]any{"request_id": "c-2", "order_id": "o-c-2", "amount": "1", "callback_url": hook},
		[]byte(s.cfg.SignSecret), time.Now())
	s.webhook(s.expect("c-2", contract.EventCreated, contract.StatusSuccess, ""), hook)
	if st := s.state("c-1"); st != store.StatePaid {
		t.Fatalf("confirmed order became %s", st)
	}
}

// payOrder opens an order of 4 USDT with callback and pays it on chain; it
// returns the transfer as the listener first reports it, and the created return.
func (s *suite) payOrder(requestID, callback string) (events.Transfer, servicetest.Return) {
	s.t.Helper()
	s.request(map[string]any{"request_id": requestID, "order_id": "o-" + requestID, "amount": "4", "callback_url": callback},
		[]byte(s.cfg.SignSecret), time.Now())
	created := s.expect(requestID, contract.EventCreated, contract.StatusSuccess, "")
	amount, err := money.Parse(created.Str("pay_amount"), 6)
	if err != nil {
		s.t.Fatal(err)
	}
	ev := s.chain.Pay([]common.Address{common.HexToAddress(created.Str("pay_address"))},
		[]int64{money.ToBaseUnits(amount, 6).Int64()})[0]
	return ev, created
}

// reorg replaces the last n blocks of the chain and checks that the
// transaction txHash is no longer on it.
func (s *suite) reorg(n int, txHash string) {
	s.t.Helper()
	if err := s.chain.Dev.Reorg(n); err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.chain.Eth.TransactionReceipt(s.t.Context(), common.HexToHash(txHash)); !errors.Is(err, ethereum.NotFound) {
		s.t.Fatalf("transaction %s after a reorg of %d blocks: %v, want it gone", txHash, n, err)
	}
}

// mined mines until the transaction is in a block, and returns the block's
// number and hash as the listener reports them.
func (s *suite) mined(tx common.Hash) (uint64, string) {
	s.t.Helper()
	var r *types.Receipt
	servicetest.Eventually(s.t, "transaction "+tx.Hex()+" mined", func() bool {
		s.chain.Mine(1)
		var err error
		r, err = s.chain.Eth.TransactionReceipt(s.t.Context(), tx)
		return err == nil
	})
	return r.BlockNumber.Uint64(), strings.ToLower(r.BlockHash.Hex())
}
