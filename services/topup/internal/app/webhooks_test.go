package app_test

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/contract"
	"paysuite/pkg/witness/witnesstest"
)

// TestWebhooksOfEveryReturn: each return of a request with callback_url,
// refusals included, is handed to the notifier once, sealed, as published;
// a request without one, a request whose callback_url is refused and a
// repeated request hand over nothing. Webhooks leave the outbox in the
// order of their returns, so the next webhook after a return that must
// have none is the next expected one.
func TestWebhooksOfEveryReturn(t *testing.T) {
	s := start(t)
	secret := []byte(s.cfg.SignSecret)
	const hook = "https://shop.example/topup"

	s.request(map[string]any{"request_id": "w-1", "callback_url": hook}, secret, time.Now())
	registered := s.expect("w-1", contract.EventRegistered, contract.StatusSuccess, "")
	s.webhook(registered, hook)

	ev := s.chain.Pay([]common.Address{common.HexToAddress(registered.Str("address"))}, []int64{1_000_000})[0]
	s.transfer(s.keys, ev)
	s.webhook(s.expect("w-1", contract.EventDeposit, contract.StatusPending, ""), hook)
	s.chain.Mine(depth - 1)
	s.transfer(s.keys, witnesstest.Confirmed(ev, depth))
	s.webhook(s.expect("w-1", contract.EventDeposit, contract.StatusSuccess, ""), hook)

	// Without callback_url, deposit included: no webhook.
	s.request(map[string]any{"request_id": "w-2"}, secret, time.Now())
	plain := s.expect("w-2", contract.EventRegistered, contract.StatusSuccess, "")
	ev = s.chain.Pay([]common.Address{common.HexToAddress(plain.Str("address"))}, []int64{2_000_000})[0]
	s.transfer(s.keys, ev)
	s.expect("w-2", contract.EventDeposit, contract.StatusPending, "")
	// Repeated, fresh and stale: the stored return again, no second webhook.
	s.request(map[string]any{"request_id": "w-1", "callback_url": hook}, secret, time.Now())
	if again := s.next(); string(again.Body) != string(registered.Body) || again.MessageID != registered.MessageID {
		t.Fatalf("repeat answered %s, want the stored %s", again.Body, registered.Body)
	}
	s.request(map[string]any{"request_id": "w-1", "callback_url": hook}, secret, time.Now().Add(-time.Hour))
	s.expect("w-1", contract.EventRegistered, contract.StatusSuccess, "")
	// A refused callback_url gets no webhook.
	s.request(map[string]any{"request_id": "w-3", "callback_url": "ftp://shop.example"}, secret, time.Now())
	s.expect("w-3", contract.EventRegistered, contract.StatusFailed, contract.ErrInvalidRequest)

	// A refusal is a return of the request: it goes to its callback_url,
	// and is the next webhook.
	s.request(map[string]any{"request_id": "w-4", "symbol": "DOGE", "callback_url": hook}, secret, time.Now())
	s.webhook(s.expect("w-4", contract.EventRegistered, contract.StatusFailed, contract.ErrUnknownToken), hook)
}
