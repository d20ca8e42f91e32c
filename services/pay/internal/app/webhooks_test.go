package app

import (
	"maps"
	"testing"
	"time"

	"paysuite/pkg/contract"
	"paysuite/pkg/service/servicetest"
)

// TestWebhooksOfEveryReturn: each return of a payment with callback_url
// (submitted, final, a stored refusal too) is handed to the notifier once,
// sealed, as published; a payment without one, a request whose callback_url
// is refused and repeated requests hand over nothing. Webhooks leave the
// outbox in the order of their returns, so the next webhook after a return
// that must have none is the next expected one.
func TestWebhooksOfEveryReturn(t *testing.T) {
	s := start(t)
	queue := s.cfg.Names.PayQueue
	user := s.learn(1)
	const hook = "https://shop.example/payments"
	payment := func(id string, fields map[string]any) []byte {
		f := map[string]any{"request_id": id, "order_id": "order-" + id, "from_address": user.Hex(),
			"to_address": s.address("merchant").Hex(), "amount": "1"}
		maps.Copy(f, fields)
		return s.request(currentSecret, f, time.Now())
	}

	s.publish(s.public, queue, payment("p-1", map[string]any{"callback_url": hook}))
	s.expectWebhook(s.expect("p-1", contract.EventSubmitted, contract.StatusPending), hook)
	final := s.expect("p-1", contract.EventPay, contract.StatusSuccess)
	s.expectWebhook(final, hook)
	s.publish(s.public, queue, payment("p-2", map[string]any{"amount": "5000000", "callback_url": hook}))
	refused := s.expect("p-2", contract.EventPay, contract.StatusFailed)
	if refused.Str("error") != contract.ErrInsufficientBalance {
		t.Fatalf("refusal %s, want insufficient_balance", refused.Body)
	}
	s.expectWebhook(refused, hook)

	// Without callback_url: no webhook.
	s.publish(s.public, queue, payment("p-3", nil))
	s.expect("p-3", contract.EventSubmitted, contract.StatusPending)
	s.expect("p-3", contract.EventPay, contract.StatusSuccess)
	// Repeated, fresh and stale: the stored return again, no second webhook.
	for _, r := range []servicetest.Return{final, refused} {
		s.publish(s.public, queue, payment(r.Str("request_id"), map[string]any{"amount": r.Str("amount"), "callback_url": hook}))
		if again := s.next("repeat"); again.MessageID != r.MessageID || string(again.Body) != string(r.Body) {
			t.Fatalf("repeat answered %s, want the stored %s", again.Body, r.Body)
		}
	}
	s.publish(s.public, queue, s.request(currentSecret, map[string]any{"request_id": "p-1", "callback_url": hook},
		time.Now().Add(-time.Hour)))
	s.expect("p-1", contract.EventPay, contract.StatusSuccess)
	// A refused callback_url gets no webhook.
	s.publish(s.public, queue, payment("p-4", map[string]any{"callback_url": "ftp://shop.example"}))
	if r := s.expect("p-4", contract.EventPay, contract.StatusFailed); r.Str("error") != contract.ErrInvalidRequest {
		t.Fatalf("refusal %s, want invalid_request", r.Body)
	}

	// A refusal on a field checked before callback_url still goes there,
	// and is the next webhook.
	s.publish(s.public, queue, payment("p-5", map[string]any{"symbol": "DOGE", "callback_url": hook}))
	refused = s.expect("p-5", contract.EventPay, contract.StatusFailed)
	if refused.Str("error") != contract.ErrUnknownToken {
		t.Fatalf("refusal %s, want unknown_token", refused.Body)
	}
	s.expectWebhook(refused, hook)
}

// expectWebhook reads the next message to the notifier and checks that it
// opens with the internal secret and hands over r, byte for byte, for
// callback.
func (s *suite) expectWebhook(r servicetest.Return, callback string) {
	s.t.Helper()
	servicetest.ExpectWebhook(s.t, s.keys, s.webhooks, contract.FlowPay, r, callback)
}
