package app_test

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/contract"
)

// TestWebhooksOfEveryReturn: each return of a request with callback_url,
// refusals included, is handed to the notifier once, sealed, as published;
// a request without one, a request whose callback_url is refused and a
// repeated request hand over nothing. Webhooks leave the outbox in the
// order of their returns, so the next webhook after a return that must
// have none is the next expected one.
func TestWebhooksOfEveryReturn(t *testing.T) {
	s := start(t)
	const hook = "https://shop.example/topup"

	s.Request(register("w-1", hook), s.Secret, time.Now())
	registered := s.Expect("w-1", contract.EventRegistered, contract.StatusSuccess, "")
	s.Webhook(registered, hook)

	ev := s.Chain.Pay([]common.Address{common.HexToAddress(registered.Str("address"))}, []int64{1_000_000})[0]
	s.ReportWithWebhooks("w-1", ev, hook)

	// Without callback_url, deposit included: no webhook.
	s.Request(register("w-2", ""), s.Secret, time.Now())
	plain := s.Expect("w-2", contract.EventRegistered, contract.StatusSuccess, "")
	ev = s.Chain.Pay([]common.Address{common.HexToAddress(plain.Str("address"))}, []int64{2_000_000})[0]
	s.Transfer(s.Keys, ev)
	s.Expect("w-2", contract.EventDeposit, contract.StatusPending, "")
	s.CheckWebhookRefusals(registered, hook, register)
}

// register is the fields of the registration of id, with callback_url
// callback unless it is empty.
func register(id, callback string) map[string]any {
	if callback == "" {
		return map[string]any{"request_id": id}
	}
	return map[string]any{"request_id": id, "callback_url": callback}
}
