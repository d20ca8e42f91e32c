package events

import (
	"fmt"

	"paysuite/pkg/contract"
	"paysuite/pkg/outbox"
)

// A request with a callback_url has each of its returns delivered there by
// the notifier (contract section 6). The service that answers the request
// hands the notifier every such return itself, sealed like every internal
// message and written in the transaction that writes the return, so it
// makes no difference whether the request came through the exchange or
// straight to its queue, and nothing from the public exchange is believed.
const (
	// WebhookKey routes Webhook messages to the notifier.
	WebhookKey = "internal.webhook"
	// WebhookQueue is the notifier's queue of Webhook messages.
	WebhookQueue = "internal.notifier.webhooks.queue"
)

// Webhook is one return to deliver to a request's callback_url.
type Webhook struct {
	Flow        string `json:"flow"`
	RequestID   string `json:"request_id"`
	CallbackURL string `json:"callback_url"`
	// MessageID is the return's AMQP message_id: the webhook-id of every
	// delivery of it, so that receivers dedupe the queue and the webhook alike.
	MessageID string `json:"message_id"`
	// Body is the return exactly as published, signature included.
	Body string `json:"body"`
}

// Return is one return of a request on its way to the outbox.
type Return struct {
	RequestID string
	// CallbackURL is the request's callback_url; nil or "" when it has none.
	CallbackURL *string
	// MessageID is the return's AMQP message_id.
	MessageID string
	// Body is the signed return.
	Body []byte
}

// Messages returns the outbox messages of r, a return of flow: r itself for
// the flow's return queue and, when the request has a callback_url, the
// sealed Webhook that has the notifier deliver it there, to be written in one
// transaction. Every return a service writes goes through it; a stored return
// published again to a repeated request is not handed to the notifier again.
func (r Return) Messages(keys Keys, exchange string, flow contract.Flow) ([]outbox.Message, error) {
	ret := outbox.Message{Exchange: exchange, RoutingKey: flow.ReturnKey, MessageID: r.MessageID, Body: r.Body}
	if r.CallbackURL == nil || *r.CallbackURL == "" {
		return []outbox.Message{ret}, nil
	}
	hook, err := keys.Message(WebhookKey, "webhook:"+r.MessageID, Webhook{Flow: flow.Name, RequestID: r.RequestID,
		CallbackURL: *r.CallbackURL, MessageID: r.MessageID, Body: string(r.Body)})
	if err != nil {
		return nil, fmt.Errorf("webhook of %s: %w", r.MessageID, err)
	}
	return []outbox.Message{ret, hook}, nil
}
