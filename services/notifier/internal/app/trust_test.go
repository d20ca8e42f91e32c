package app_test

import (
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
	"paysuite/pkg/sign"
)

// TestForgedAlertsNeverReachTheChat publishes forged alerts to a running
// notifier (unsealed, sealed without the internal secret, and genuine ones
// re-sent under another routing key): each is dead-lettered with its reason
// and none reaches the chat, which hears of the forgery instead; a sealed
// alert does reach it.
func TestForgedAlertsNeverReachTheChat(t *testing.T) {
	n := startNotifier(t)
	alert := func(msg string) events.Alert {
		return events.Alert{Kind: events.AlertLowBalance, Key: "0xhot", Service: "withdraw", Message: msg, At: time.Now().Unix()}
	}
	lowBalance, forged := events.AlertKey(events.AlertLowBalance), alert("FORGED")
	n.refuse(servicetest.Forgeries(t, internalKeys, "alert", lowBalance, forged,
		events.AlertKey(events.AlertPayoutFailed), forged, events.AlertQueue))

	n.internal.Publish(events.Exchange, lowBalance, "alert-sealed", servicetest.Seal(t, internalKeys, lowBalance, alert("GENUINE hot wallet low")))
	servicetest.Eventually(t, "the sealed alert and the forgery in the chat", func() bool {
		var genuine, forgery bool
		for _, m := range n.chat.Messages() {
			genuine = genuine || strings.Contains(m, "GENUINE hot wallet low")
			forgery = forgery || strings.Contains(m, events.AlertForgedMessage+" ("+events.AlertQueue+") from notifier")
		}
		return genuine && forgery
	})
	for _, m := range n.chat.Messages() {
		if strings.Contains(m, "FORGED") {
			t.Errorf("a forged alert reached the chat: %q", m)
		}
	}
}

// internalKeys are the suite's internal keys.
var internalKeys = servicetest.MustKeys(internalSecret)

// refuse publishes the forgeries and checks that each is dead-lettered for
// its reason.
func (n *notifier) refuse(forged []servicetest.Forgery) {
	n.t.Helper()
	for _, f := range forged {
		n.internal.Publish(f.Exchange, f.Key, f.ID, f.Body)
	}
	servicetest.Eventually(n.t, "every forged message dead-lettered", func() bool {
		info, err := n.internal.Inspect(deadQueue)
		return err == nil && info.Messages >= len(forged)
	})
	dead := map[string]string{}
	for _, d := range n.internal.Take(deadQueue) {
		reason, _ := d.Headers[broker.HeaderDeadReason].(string)
		dead[d.MessageId] = reason
	}
	for _, f := range forged {
		if !strings.Contains(dead[f.ID], f.Reason) {
			n.t.Errorf("%s dead-lettered as %q, want %q", f.ID, dead[f.ID], f.Reason)
		}
	}
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
	created := orderReturn(t, contract.EventCreated, 1, h.srv.URL+"/hooks")
	for range 2 { // the message and its redelivery
		n.internal.Publish(events.Exchange, events.WebhookKey, "webhook:"+created.MessageID,
			servicetest.Seal(t, internalKeys, events.WebhookKey, created))
	}
	servicetest.Eventually(t, "the webhook", func() bool { return len(h.received()) >= 1 })
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
	evil := orderReturn(t, contract.EventCreated, 1, h.srv.URL+"/evil")
	n.refuse(servicetest.Forgeries(t, internalKeys, "webhook", events.WebhookKey, evil,
		events.AlertKey(events.AlertLowBalance), evil, events.WebhookQueue))
	names := contract.DefaultNames()
	for key, fields := range map[string]map[string]any{
		names.OrderKey:       {"request_id": "o-1", "order_id": "A-1", "amount": "5", "callback_url": h.srv.URL + "/evil"},
		names.OrderReturnKey: {"request_id": "o-1", "event": contract.EventCreated, "status": 1},
	} {
		body, err := sign.Seal([]byte(signSecret), fields, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		n.public.Publish(names.Exchange, key, key, body)
	}
	genuine := orderReturn(t, contract.EventPaid, 2, h.srv.URL+"/hooks")
	n.internal.Publish(events.Exchange, events.WebhookKey, "webhook-sealed", servicetest.Seal(t, internalKeys, events.WebhookKey, genuine))

	servicetest.Eventually(t, "the sealed webhook", func() bool { return len(h.received()) >= 1 })
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
