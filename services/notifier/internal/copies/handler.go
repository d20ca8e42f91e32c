// Package copies reads the notifier's copies of the public requests and
// returns: it remembers the requests that asked for a callback, turns their
// returns into webhook deliveries, and raises an alert when a withdrawal or a
// payment failed.
package copies

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/sign"
	"paysuite/services/notifier/internal/alerts"
	"paysuite/services/notifier/internal/store"
	"paysuite/services/notifier/internal/webhook"
)

// maxCallbackLen is the contract's limit on callback_url.
const maxCallbackLen = 2048

// route tells what a routing key carries.
type route struct {
	flow     string
	isReturn bool
}

// Bindings lists the routing keys the copies queue must be bound to: every
// request and return key of the public flows.
func Bindings(names contract.Names) []string {
	var keys []string
	for _, f := range names.All() {
		keys = append(keys, f.RequestKey, f.ReturnKey)
	}
	return keys
}

// Handler processes the copies queue.
type Handler struct {
	Store *store.Store
	// Secret verifies requests and returns: only signed ones are acted upon,
	// so nobody can register a callback or inject a return without it.
	Secret  []byte
	Alerter *alerts.Alerter
	Log     zerolog.Logger
	// OnDeliveries wakes the deliverer after new deliveries were recorded.
	OnDeliveries func()

	routes map[string]route
}

// NewHandler returns a handler for the flows of names.
func NewHandler(names contract.Names, st *store.Store, secret []byte, alerter *alerts.Alerter,
	onDeliveries func(), log zerolog.Logger) *Handler {
	routes := map[string]route{}
	for _, f := range names.All() {
		routes[f.RequestKey] = route{flow: f.Name}
		routes[f.ReturnKey] = route{flow: f.Name, isReturn: true}
	}
	return &Handler{Store: st, Secret: secret, Alerter: alerter, Log: log, OnDeliveries: onDeliveries, routes: routes}
}

// Handle is the broker handler of the copies queue. A copy that cannot be used
// is acknowledged and dropped, never dead-lettered: the original is handled
// (and dead-lettered if need be) by the flow's own consumer.
func (h *Handler) Handle(ctx context.Context, d broker.Delivery) error {
	r, ok := h.routes[d.RoutingKey]
	if !ok {
		h.Log.Debug().Str("routing_key", d.RoutingKey).Msg("copy with an unexpected routing key dropped")
		return nil
	}
	fields, err := sign.ParseFields(d.Body)
	if err != nil {
		return nil
	}
	requestID, _ := str(fields, "request_id")
	if !contract.ValidRequestID(requestID) {
		return nil
	}
	log := h.Log.With().Str("flow", r.flow).Str("request_id", requestID).Logger()
	if err := sign.Verify(h.Secret, fields); err != nil {
		if r.isReturn {
			log.Warn().Msg("return copy with a bad signature dropped")
		}
		return nil // the flow's service answers bad_signature; its return has no known callback
	}
	if !r.isReturn {
		return h.request(ctx, r.flow, requestID, fields, log)
	}
	return h.ret(ctx, r.flow, requestID, fields, d.Body, log)
}

func (h *Handler) request(ctx context.Context, flow, requestID string, fields sign.Fields, log zerolog.Logger) error {
	callback, _ := str(fields, "callback_url")
	if callback == "" {
		return nil
	}
	if !validCallback(callback) {
		log.Info().Msg("request with an invalid callback_url; no webhooks")
		return nil
	}
	n, err := h.Store.RecordRequest(ctx, flow, requestID, callback)
	if err != nil {
		return err
	}
	log.Debug().Int("deliveries", n).Msg("callback recorded")
	if n > 0 {
		h.OnDeliveries()
	}
	return nil
}

func (h *Handler) ret(ctx context.Context, flow, requestID string, fields sign.Fields, body []byte, log zerolog.Logger) error {
	event, _ := str(fields, "event")
	status, ok := integer(fields, "status")
	if event == "" || !ok {
		log.Warn().Msg("return copy without event or status dropped")
		return nil
	}
	depositID, _ := str(fields, "deposit_id")
	txHash, _ := str(fields, "tx_hash")
	code, _ := str(fields, "error")
	ret := store.Return{Flow: flow, RequestID: requestID, Event: event, Status: status,
		WebhookID: webhook.ID(flow, requestID, event, status, depositID, txHash, code), Body: body}
	failedPayout := status == contract.StatusFailed &&
		((flow == contract.FlowWithdraw && event == contract.EventWithdraw) || (flow == contract.FlowPay && event == contract.EventPay))

	var delivery, alerted bool
	err := h.Store.DB().WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		fresh, d, err := store.RecordReturn(tx, ret)
		if err != nil {
			return err
		}
		delivery, alerted = d, false
		// Raised in the same transaction and only for a return not seen before,
		// so a redelivered copy neither loses nor repeats the alert.
		if fresh && failedPayout {
			msg, _ := str(fields, "message")
			alerted = true
			return h.Alerter.RaiseTx(tx, events.Alert{Kind: events.AlertPayoutFailed, Key: flow + ":" + code,
				Service: "notifier", At: time.Now().Unix(),
				Message: fmt.Sprintf("%s %s failed: %s %s", flow, requestID, code, msg)})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record %s return of %s: %w", flow, requestID, err)
	}
	if delivery {
		log.Debug().Str("webhook_id", ret.WebhookID).Msg("webhook queued")
		h.OnDeliveries()
	}
	if alerted {
		h.Alerter.Kick()
	}
	return nil
}

// str reads a string field; ok is false when it is absent or not a string.
func str(fields sign.Fields, name string) (string, bool) {
	raw := bytes.TrimSpace(fields[name])
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// integer reads an integer field written as a JSON number.
func integer(fields sign.Fields, name string) (int, bool) {
	n, err := strconv.Atoi(string(bytes.TrimSpace(fields[name])))
	return n, err == nil
}

func validCallback(s string) bool {
	if len(s) > maxCallbackLen {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// RunJanitor drops, every interval, the returns that waited longer than ttl for
// a request copy that never came (returns of requests without callback).
func (h *Handler) RunJanitor(ctx context.Context, ttl, interval time.Duration) error {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
		n, err := h.Store.DeleteOrphans(ctx, ttl)
		switch {
		case err != nil && ctx.Err() == nil:
			h.Log.Warn().Err(err).Msg("drop old waiting returns")
		case n > 0:
			h.Log.Debug().Int64("dropped", n).Msg("returns without a known callback dropped")
		}
	}
}
