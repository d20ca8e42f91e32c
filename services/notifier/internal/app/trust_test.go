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

// sealedWebhook is the Webhook message a service writes with a return, for
// callback, sealed with keys.
func sealedWebhook(t *testing.T, keys events.Keys, key string, w events.Webhook) []byte {
	t.Helper()
	body, err := keys.Seal(key, w)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// orderReturn is the Webhook of a signed return of the order o-1.
func orderReturn(t *testing.T, event string, status int, callback string) events.Webhook {
	t.Helper()
	body, err := sign.Seal([]byte(signSecret), map[string]any{"request_id": "o-1", "event": event, "status": status,
		"pay_address": "0x00000000000000000000000000000000000000aa", "pay_amount": "5"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return events.Webhook{Flow: contract.FlowOrder, RequestID: "o-1", CallbackURL: callback, MessageID: "o-1:" + event,
		Body: string(body)}
}

// TestWebhooksVerifyWithStandardWebhooks delivers the return a Webhook
// message carries, byte for byte, with the return's message_id as webhook-id:
// it verifies with the official Standard Webhooks library under both webhook
// secrets of the rotation in progress, and the message delivered again makes
// no second webhook.
func TestWebhooksVerifyWithStandardWebhooks(t *testing.T) {
	n := startNotifier(t)
	h := newHook(t)
	keys, err := events.NewKeys([]byte(internalSecret))
	if err != nil {
		t.Fatal(err)
	}
	created := orderReturn(t, contract.EventCreated, 1, h.srv.URL+"/hooks")
	for range 2 { // the message and its redelivery
		n.internal.publish(events.Exchange, events.WebhookKey, "webhook:"+created.MessageID,
			sealedWebhook(t, keys, events.WebhookKey, created))
	}
	waitFor(t, "the webhook", func() bool { return len(h.received()) >= 1 })
	got := h.received()[0]
	if string(got.body) != created.Body || got.header.Get("webhook-id") != created.MessageID {
		t.Fatalf("webhook %s with id %q, want the created return %s with id %q", got.body, got.header.Get("webhook-id"),
			created.Body, created.MessageID)
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
	n.internal.waitSettled(events.WebhookQueue)
	var deliveries int64
	if err := n.db.Raw("SELECT COUNT(*) FROM deliveries").Scan(&deliveries).Error; err != nil {
		t.Fatal(err)
	}
	if deliveries != 1 {
		t.Fatalf("%d deliveries of one return", deliveries)
	}
}

// TestForgedWebhooksNeverDelivered: whoever reaches the broker without the
// internal secret cannot make the notifier call a URL. Forged Webhook
// messages are dead-lettered with their reason, and a request with a
// callback_url and its "returns" published on the public exchange reach no
// notifier queue; only the sealed message is delivered.
func TestForgedWebhooksNeverDelivered(t *testing.T) {
	n := startNotifier(t)
	h := newHook(t)
	keys, err := events.NewKeys([]byte(internalSecret))
	if err != nil {
		t.Fatal(err)
	}
	outsider, err := events.NewKeys([]byte("guessed-internal-secret"))
	if err != nil {
		t.Fatal(err)
	}
	evil := orderReturn(t, contract.EventCreated, 1, h.srv.URL+"/evil")
	raw, err := json.Marshal(evil)
	if err != nil {
		t.Fatal(err)
	}
	lowBalance := events.AlertKey(events.AlertLowBalance)
	forged := []struct {
		id, exchange, key string
		body              []byte
		reason            string
	}{
		{"webhook-unsealed", events.Exchange, events.WebhookKey, raw, "not an internal envelope"},
		{"webhook-wrong-key", events.Exchange, events.WebhookKey, sealedWebhook(t, outsider, events.WebhookKey, evil), "bad mac"},
		{"webhook-rekeyed", events.Exchange, events.WebhookKey, sealedWebhook(t, keys, lowBalance, evil), "sealed for another routing key"},
		{"webhook-straight-to-queue", "", events.WebhookQueue, sealedWebhook(t, keys, events.WebhookKey, evil), "sealed for another routing key"},
	}
	for _, f := range forged {
		n.internal.publish(f.exchange, f.key, f.id, f.body)
	}
	names := contract.DefaultNames()
	for key, fields := range map[string]map[string]any{
		names.OrderKey:       {"request_id": "o-1", "order_id": "A-1", "amount": "5", "callback_url": h.srv.URL + "/evil"},
		names.OrderReturnKey: {"request_id": "o-1", "event": contract.EventCreated, "status": 1},
	} {
		body, err := sign.Seal([]byte(signSecret), fields, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		n.public.publish(names.Exchange, key, key, body)
	}
	genuine := orderReturn(t, contract.EventPaid, 2, h.srv.URL+"/hooks")
	n.internal.publish(events.Exchange, events.WebhookKey, "webhook-sealed", sealedWebhook(t, keys, events.WebhookKey, genuine))

	waitFor(t, "every forged message dead-lettered", func() bool {
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
	waitFor(t, "the sealed webhook", func() bool { return len(h.received()) >= 1 })
	n.internal.waitSettled(events.WebhookQueue)
	// On the public side the notifier declares the contract's queues and
	// no other: none that the public exchange would copy messages into.
	public := n.public.queues()
	for _, f := range names.All() {
		delete(public, f.RequestQueue)
		delete(public, f.ReturnQueue)
	}
	delete(public, deadQueue)
	if len(public) != 0 {
		t.Errorf("queues of the notifier on the public side: %v", public)
	}
	var urls []string
	if err := n.db.Raw("SELECT url FROM deliveries").Scan(&urls).Error; err != nil {
		t.Fatal(err)
	}
	if len(urls) != 1 || urls[0] != genuine.CallbackURL || string(h.received()[0].body) != genuine.Body {
		t.Fatalf("deliveries to %q, webhooks %d: want the sealed one alone", urls, len(h.received()))
	}
}
