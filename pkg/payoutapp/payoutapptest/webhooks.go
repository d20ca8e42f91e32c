package payoutapptest

import (
	"maps"
	"time"

	"paysuite/pkg/contract"
	"paysuite/pkg/service/servicetest"
)

// WebhooksOfEveryReturn checks that each return of a request with
// callback_url (submitted, final, a stored refusal too) is handed to the
// notifier once, sealed, as published; a request without one, a request
// whose callback_url is refused and repeated requests hand over nothing.
// Webhooks leave the outbox in the order of their returns, so the next
// webhook after a return that must have none is the next expected one.
// request is the fields of a valid request of id paying 1 token; prefix
// begins the request ids.
func (s *Suite[C]) WebhooksOfEveryReturn(prefix string, request func(id string) map[string]any) {
	t, final := s.T, s.Service.FinalEvent
	const hook = "https://shop.example/payouts"
	body := func(id string, fields map[string]any) []byte {
		f := request(id)
		maps.Copy(f, fields)
		return s.Request(CurrentSecret, f, time.Now())
	}
	id := func(n string) string { return prefix + "-" + n }

	s.Publish(s.Public, s.Queue, body(id("1"), map[string]any{"callback_url": hook}))
	s.ExpectWebhook(s.Expect(id("1"), contract.EventSubmitted, contract.StatusPending), hook)
	paid := s.Expect(id("1"), final, contract.StatusSuccess)
	s.ExpectWebhook(paid, hook)
	s.Publish(s.Public, s.Queue, body(id("2"), map[string]any{"amount": "5000000", "callback_url": hook}))
	refused := s.Expect(id("2"), final, contract.StatusFailed)
	if refused.Str("error") != contract.ErrInsufficientBalance {
		t.Fatalf("refusal %s, want insufficient_balance", refused.Body)
	}
	s.ExpectWebhook(refused, hook)

	// Without callback_url: no webhook.
	s.Publish(s.Public, s.Queue, body(id("3"), nil))
	s.Expect(id("3"), contract.EventSubmitted, contract.StatusPending)
	s.Expect(id("3"), final, contract.StatusSuccess)
	// Repeated, fresh and stale: the stored return again, no second webhook.
	for _, r := range []servicetest.Return{paid, refused} {
		s.Publish(s.Public, s.Queue, body(r.Str("request_id"), map[string]any{"amount": r.Str("amount"), "callback_url": hook}))
		if again := s.Next("repeat"); again.MessageID != r.MessageID || string(again.Body) != string(r.Body) {
			t.Fatalf("repeat answered %s, want the stored %s", again.Body, r.Body)
		}
	}
	s.Publish(s.Public, s.Queue, s.Request(CurrentSecret, map[string]any{"request_id": id("1"), "callback_url": hook},
		time.Now().Add(-time.Hour)))
	s.Expect(id("1"), final, contract.StatusSuccess)
	// A refused callback_url gets no webhook.
	s.Publish(s.Public, s.Queue, body(id("4"), map[string]any{"callback_url": "ftp://shop.example"}))
	if r := s.Expect(id("4"), final, contract.StatusFailed); r.Str("error") != contract.ErrInvalidRequest {
		t.Fatalf("refusal %s, want invalid_request", r.Body)
	}

	// A refusal on a field checked before callback_url still goes there,
	// and is the next webhook.
	s.Publish(s.Public, s.Queue, body(id("5"), map[string]any{"symbol": "DOGE", "callback_url": hook}))
	refused = s.Expect(id("5"), final, contract.StatusFailed)
	if refused.Str("error") != contract.ErrUnknownToken {
		t.Fatalf("refusal %s, want unknown_token", refused.Body)
	}
	s.ExpectWebhook(refused, hook)
}
