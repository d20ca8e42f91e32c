package app_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/sign"
)

// TestForgedAlertsNeverReachTheChat publishes forged alerts to a running
// notifier (unsealed, sealed without the internal secret, and genuine ones
// re-sent under another routing key): each is dead-lettered with its reason
// and none reaches the chat, which hears of the forgery instead; a sealed
// alert does reach it.
func TestForgedAlertsNeverReachTheChat(t *testing.T) {
	n := startNotifier(t)
	keys, err := events.NewKeys([]byte(internalSecret))
	if err != nil {
		t.Fatal(err)
	}
	outsider, err := events.NewKeys([]byte("guessed-internal-secret"))
	if err != nil {
		t.Fatal(err)
	}
	alert := func(msg string) events.Alert {
		return events.Alert{Kind: events.AlertLowBalance, Key: "0xhot", Service: "withdraw", Message: msg, At: time.Now().Unix()}
	}
	sealed := func(k events.Keys, key string, v any) []byte {
		body, err := k.Seal(key, v)
		if err != nil {
			t.Fatal(err)
		}
		return body
	}
	raw, err := json.Marshal(alert("FORGED unsealed"))
	if err != nil {
		t.Fatal(err)
	}
	lowBalance, payoutFailed := events.AlertKey(events.AlertLowBalance), events.AlertKey(events.AlertPayoutFailed)
	forged := []struct {
		id, exchange, key string
		body              []byte
		reason            string
	}{
		{"alert-unsealed", events.Exchange, lowBalance, raw, "not an internal envelope"},
		{"alert-wrong-key", events.Exchange, lowBalance, sealed(outsider, lowBalance, alert("FORGED wrong key")), "bad mac"},
		{"alert-rekeyed", events.Exchange, lowBalance, sealed(keys, payoutFailed, alert("FORGED re-keyed")), "sealed for another routing key"},
		{"alert-straight-to-queue", "", events.AlertQueue, sealed(keys, lowBalance, alert("FORGED to the queue")), "sealed for another routing key"},
	}
	for _, f := range forged {
		n.internal.publish(f.exchange, f.key, f.id, f.body)
	}
	waitFor(t, "every forged alert dead-lettered", func() bool {
		info, err := n.internal.inspect(deadQueue)
		return err == nil && info.Messages >= len(forged)
	})
	dead := map[string]string{}
	for _, d := range n.internal.take(deadQueue) {
		reason, _ := d.Headers[broker.HeaderDeadReason].(string)
		dead[d.MessageId] = reason
	}
	for _, f := range forged {
		if !strings.Contains(dead[f.id], f.reason) {
			t.Errorf("%s dead-lettered as %q, want %q", f.id, dead[f.id], f.reason)
		}
	}

	n.internal.publish(events.Exchange, lowBalance, "alert-sealed", sealed(keys, lowBalance, alert("GENUINE hot wallet low")))
	waitFor(t, "the sealed alert and the forgery in the chat", func() bool {
		var genuine, forgery bool
		for _, m := range n.chat.messages() {
			genuine = genuine || strings.Contains(m, "GENUINE hot wallet low")
			forgery = forgery || strings.Contains(m, events.AlertForgedMessage+" ("+events.AlertQueue+") from notifier")
		}
		return genuine && forgery
	})
	for _, m := range n.chat.messages() {
		if strings.Contains(m, "FORGED") {
			t.Errorf("a forged alert reached the chat: %q", m)
		}
	}
}

// TestWebhooksVerifyWithStandardWebhooks registers a callback with a request
// signed with the previous signing secret, then answers it with a rejected
// return and with its flow's own: only the latter is delivered, and it
// verifies with the official Standard Webhooks library under both webhook
// secrets of the rotation in progress.
func TestWebhooksVerifyWithStandardWebhooks(t *testing.T) {
	n := startNotifier(t)
	h := newHook(t)
	names := contract.DefaultNames()
	publish := func(secret, key, id string, fields map[string]any) []byte {
		body, err := sign.Seal([]byte(secret), fields, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		n.public.publish(names.Exchange, key, id, body)
		return body
	}
	publish(signPrevious, names.OrderKey, "req", map[string]any{"request_id": "o-1", "order_id": "A-1", "amount": "5",
		"callback_url": h.srv.URL + "/hooks"})
	publish(signSecret, names.OrderReturnKey, "rejected", map[string]any{"request_id": "o-1", "event": contract.EventRejected,
		"status": 0, "error": contract.ErrBadSignature, "message": "the sign field does not match the request"})
	created := publish(signSecret, names.OrderReturnKey, "created", map[string]any{"request_id": "o-1", "event": contract.EventCreated,
		"status": 1, "pay_address": "0x00000000000000000000000000000000000000aa", "pay_amount": "5"})

	waitFor(t, "the webhook", func() bool { return len(h.received()) >= 1 })
	got := h.received()[0]
	if string(got.body) != string(created) {
		t.Fatalf("webhook body %s, want the created return %s", got.body, created)
	}
	for _, secret := range []string{webhookSecret, webhookPrevious} {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(got.body, got.header); err != nil {
			t.Errorf("webhook does not verify with %s…: %v (signature %q)", secret[:10], err, got.header.Get("webhook-signature"))
		}
	}
	// The copies are handled in order by one worker: the rejected return was
	// handled before the created one became a delivery.
	var deliveries int64
	if err := n.db.Raw("SELECT COUNT(*) FROM deliveries WHERE request_id = 'o-1'").Scan(&deliveries).Error; err != nil {
		t.Fatal(err)
	}
	if deliveries != 1 || len(h.received()) != 1 {
		t.Fatalf("%d deliveries and %d webhooks, want the created return's alone", deliveries, len(h.received()))
	}
}
