package app_test

import (
	"strings"
	"testing"
	"time"

	"paysuite/pkg/contract"
)

// TestWebhooksOfEveryReturn: each return of an order with callback_url
// (created, every paid, expired; a refusal too) is handed to the notifier
// once, sealed, as published; an order without one, a request whose
// callback_url is refused and a repeated request hand over nothing.
// Webhooks leave the outbox in the order of their returns, so the next
// webhook after a return that must have none is the next expected one.
func TestWebhooksOfEveryReturn(t *testing.T) {
	s := start(t)
	order := func(id, callback string) map[string]any {
		fields := map[string]any{"request_id": id, "order_id": "o-" + strings.TrimPrefix(id, "w-"), "amount": "3"}
		if callback != "" {
			fields["callback_url"] = callback
		}
		return fields
	}
	s.Request(order("w-1", hook), s.Secret, time.Now())
	created := s.Expect("w-1", contract.EventCreated, contract.StatusSuccess, "")
	s.Webhook(created, hook)
	s.ReportWithWebhooks("w-1", s.pay(created), hook)

	expiring := order("w-2", hook)
	expiring["expires_in"] = 1
	s.Request(expiring, s.Secret, time.Now())
	s.Webhook(s.Expect("w-2", contract.EventCreated, contract.StatusSuccess, ""), hook)
	s.Webhook(s.Expect("w-2", contract.EventExpired, contract.StatusFailed, contract.ErrExpired), hook)

	// Without callback_url, expiry included: no webhook.
	expiring = order("w-3", "")
	expiring["expires_in"] = 1
	s.Request(expiring, s.Secret, time.Now())
	s.Expect("w-3", contract.EventCreated, contract.StatusSuccess, "")
	s.Expect("w-3", contract.EventExpired, contract.StatusFailed, contract.ErrExpired)
	s.CheckWebhookRefusals(created, hook, order)
}
