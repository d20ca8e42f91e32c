package events

import (
	"fmt"

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

// WithWebhook returns the outbox messages of one return: ret itself and,
// when callbackURL is set, the sealed message that has the notifier deliver
// it there. Services write every return of a request through it.
func (k Keys) WithWebhook(flow, requestID, callbackURL string, ret outbox.Message) ([]outbox.Message, error) {
	if callbackURL == "" {
		return []outbox.Message{ret}, nil
	}
	hook, err := k.Message(WebhookKey, "webhook:"+ret.MessageID, Webhook{Flow: flow, RequestID: requestID,
		CallbackURL: callbackURL, MessageID: ret.MessageID, Body: string(ret.Body)})
	if err != nil {
		return nil, fmt.Errorf("webhook of %s: %w", ret.MessageID, err)
	}
	return []outbox.Message{ret, hook}, nil
}
