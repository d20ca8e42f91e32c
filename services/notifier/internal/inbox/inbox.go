// Package inbox turns the Webhook messages of the suite's services into
// webhook deliveries.
//
// The service that answers a request with a callback_url writes, with each
// return it publishes, a Webhook message sealed with the internal secret
// (pkg/events): the return's body, its message_id and the callback URL. So a
// request gets its webhooks whichever way it was published, and nothing from
// the public exchange, where business systems publish, is believed. The
// messages come through the guard of the internal queues: a Handler sees only
// the authenticated data.
//
// A "rejected" return is never given to the notifier: the suite sends one for
// any message it refused, whoever sent it, so it never speaks for the outcome
// of its request_id (contract section 3). A Webhook message that carries one
// anyway, or that is not a return at all, is dead-lettered with the reason.
package inbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/rs/zerolog"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/db"
	"paysuite/pkg/events"
	"paysuite/pkg/sign"
	"paysuite/services/notifier/internal/store"
)

// Limits of what a delivery records.
const (
	// maxCallbackLen is the contract's limit on callback_url.
	maxCallbackLen = 2048
	// maxMessageIDLen is the longest AMQP message_id (a short string).
	maxMessageIDLen = 255
	// maxEventLen is what the deliveries' event column holds.
	maxEventLen = 32
)

// maxAttempts bounds the runs of a batch that lost a deadlock or a lock wait:
// running it again is cheaper than handling its messages one by one.
const maxAttempts = 3

// flows are the flows whose returns may have webhooks.
var flows = map[string]bool{contract.FlowTopup: true, contract.FlowWithdraw: true, contract.FlowPay: true,
	contract.FlowOrder: true}

// Handler records the deliveries of the Webhook messages.
type Handler struct {
	Store *store.Store
	// OnDeliveries wakes the deliverer after new deliveries were recorded.
	OnDeliveries func()
	Log          zerolog.Logger
}

// Handle is the handler of one Webhook message, as the guard hands it over.
func (h *Handler) Handle(ctx context.Context, d broker.Delivery) error {
	return h.HandleBatch(ctx, []broker.Delivery{d})
}

// HandleBatch records the deliveries of several Webhook messages in one
// transaction: under load it saves a commit and a statement per message. A
// message that can never be delivered fails the batch with its poison error;
// the broker then hands each message to Handle alone, which dead-letters that
// one.
func (h *Handler) HandleBatch(ctx context.Context, ds []broker.Delivery) error {
	hooks := make([]store.Webhook, 0, len(ds))
	for _, d := range ds {
		w, ok, err := h.parse(d)
		if err != nil {
			return err
		}
		if ok {
			hooks = append(hooks, w)
		}
	}
	if len(hooks) == 0 {
		return nil
	}
	var created int
	for attempt := 1; ; attempt++ {
		var err error
		if created, err = h.Store.AddDeliveries(ctx, hooks); err == nil {
			break
		}
		if attempt == maxAttempts || !db.IsConflict(err) {
			return fmt.Errorf("record %d webhooks: %w", len(hooks), err)
		}
	}
	for _, w := range hooks {
		h.Log.Debug().Str("flow", w.Flow).Str("request_id", w.RequestID).Str("webhook_id", w.MessageID).
			Str("event", w.Event).Msg("webhook recorded")
	}
	if created > 0 {
		h.OnDeliveries()
	}
	return nil
}

// parse reads a Webhook message. ok is false for one to drop: a callback URL
// the notifier cannot call. A message that is not a Webhook of a return is a
// poison error, with the reason.
func (h *Handler) parse(d broker.Delivery) (w store.Webhook, ok bool, err error) {
	var m events.Webhook
	if err := json.Unmarshal(d.Body, &m); err != nil {
		return w, false, broker.Poison("webhook message: not a Webhook")
	}
	switch {
	case !flows[m.Flow]:
		return w, false, broker.Poison("webhook message: unknown flow")
	case !contract.ValidRequestID(m.RequestID):
		return w, false, broker.Poison("webhook message: invalid request_id")
	case m.MessageID == "" || len(m.MessageID) > maxMessageIDLen:
		return w, false, broker.Poison(fmt.Sprintf("webhook message: message_id empty or longer than %d bytes", maxMessageIDLen))
	case m.CallbackURL == "":
		return w, false, broker.Poison("webhook message: no callback_url")
	}
	fields, err := sign.ParseFields([]byte(m.Body))
	if err != nil {
		return w, false, broker.Poison("webhook message: body is not a JSON object")
	}
	var event string
	var status *int
	switch {
	case json.Unmarshal(fields["event"], &event) != nil || event == "" || len(event) > maxEventLen:
		return w, false, broker.Poison(fmt.Sprintf("webhook message: body has no event of 1 to %d bytes", maxEventLen))
	case event == contract.EventRejected:
		return w, false, broker.Poison("webhook message: a rejected return is never a webhook")
	case json.Unmarshal(fields["status"], &status) != nil || status == nil ||
		(*status != contract.StatusPending && *status != contract.StatusSuccess && *status != contract.StatusFailed):
		return w, false, broker.Poison("webhook message: body has no status 0, 1 or 2")
	}
	if !validCallback(m.CallbackURL) {
		// The business system's own input, kept as it came: the request is
		// answered all the same, it just gets no webhooks.
		h.Log.Info().Str("flow", m.Flow).Str("request_id", m.RequestID).Msg("invalid callback_url: no webhook")
		return w, false, nil
	}
	return store.Webhook{Flow: m.Flow, RequestID: m.RequestID, MessageID: m.MessageID, Event: event,
		Status: *status, URL: m.CallbackURL, Body: []byte(m.Body)}, true, nil
}

// validCallback accepts an absolute http or https URL within the contract's
// length; where it may lead is checked when it is dialled (webhook.Policy).
func validCallback(s string) bool {
	if len(s) > maxCallbackLen {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
