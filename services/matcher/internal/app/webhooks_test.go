package app_test

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/contract"
	"paysuite/pkg/money"
	"paysuite/pkg/witness/witnesstest"
)

// TestWebhooksOfEveryReturn: each return of an order with callback_url
// (created, every paid, expired; a refusal too) is handed to the notifier
// once, sealed, as published; an order without one, a request whose
// callback_url is refused and a repeated request hand over nothing.
// Webhooks leave the outbox in the order of their returns, so the next
// webhook after a return that must have none is the next expected one.
func TestWebhooksOfEveryReturn(t *testing.T) {
	s := start(t)
	secret := []byte(s.cfg.SignSecret)
	const hook = "https://shop.example/orders"

	order := map[string]any{"request_id": "w-1", "order_id": "o-1", "amount": "3", "callback_url": hook}
	s.request(order, secret, time.Now())
	created := s.expect("w-1", contract.EventCreated, contract.StatusSuccess, "")
	s.webhook(created, hook)
	amount, err := money.Parse(created.Str("pay_amount"), 6)
	if err != nil {
		t.Fatal(err)
	}
	ev := s.chain.Pay([]common.Address{common.HexToAddress(created.Str("pay_address"))},
		[]int64{money.ToBaseUnits(amount, 6).Int64()})[0]
	s.transfer(s.keys, ev)
	s.webhook(s.expect("w-1", contract.EventPaid, contract.StatusPending, ""), hook)
	s.chain.Mine(depth - 1)
	s.transfer(s.keys, witnesstest.Confirmed(ev, depth))
	s.webhook(s.expect("w-1", contract.EventPaid, contract.StatusSuccess, ""), hook)

	s.request(map[string]any{"request_id": "w-2", "order_id": "o-2", "amount": "3", "expires_in": 1, "callback_url": hook},
		secret, time.Now())
	s.webhook(s.expect("w-2", contract.EventCreated, contract.StatusSuccess, ""), hook)
	s.webhook(s.expect("w-2", contract.EventExpired, contract.StatusFailed, contract.ErrExpired), hook)

	// Without callback_url, expiry included: no webhook.
	s.request(map[string]any{"request_id": "w-3", "order_id": "o-3", "amount": "3", "expires_in": 1}, secret, time.Now())
	s.expect("w-3", contract.EventCreated, contract.StatusSuccess, "")
	s.expect("w-3", contract.EventExpired, contract.StatusFailed, contract.ErrExpired)
	// Repeated, fresh and stale: the stored return again, no second webhook.
	s.request(order, secret, time.Now())
	if again := s.next(); string(again.Body) != string(created.Body) || again.MessageID != created.MessageID {
		t.Fatalf("repeat answered %s, want the stored %s", again.Body, created.Body)
	}
	s.request(order, secret, time.Now().Add(-time.Hour))
	s.expect("w-1", contract.EventCreated, contract.StatusSuccess, "")
	// A refused callback_url gets no webhook.
	s.request(map[string]any{"request_id": "w-4", "order_id": "o-4", "amount": "3", "callback_url": "ftp://shop.example"},
		secret, time.Now())
	s.expect("w-4", contract.EventCreated, contract.StatusFailed, contract.ErrInvalidRequest)

	// A refusal is a return of the request, even one on a field checked
	// before callback_url: it goes there, and is the next webhook.
	s.request(map[string]any{"request_id": "w-5", "order_id": "o-5", "amount": "3", "symbol": "DOGE", "callback_url": hook},
		secret, time.Now())
	s.webhook(s.expect("w-5", contract.EventCreated, contract.StatusFailed, contract.ErrUnknownToken), hook)
}
