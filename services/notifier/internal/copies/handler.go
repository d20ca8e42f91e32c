// Package copies reads the notifier's copies of the public requests and
// returns: it remembers the requests that asked for a callback, turns their
// returns into webhook deliveries, and raises an alert when a withdrawal or a
// payment failed.
//
// Anyone with broker access can publish to these routing keys, so a copy
// counts only when signed with the suite's signing secret (the current or,
// during a rotation, the previous one). A copy on a request key that carries
// event or status is a return replayed as a request and never registers a
// callback. A "rejected" return is never delivered: the suite sends one for
// any message it refused, whoever sent it, so it never speaks for the outcome
// of its request_id (contract section 3) and a receiver acts on a flow's own
// events only.
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
	"paysuite/pkg/db"
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
	// Secrets verify requests and returns, the current signing secret first:
	// only signed ones are acted upon, so nobody can register a callback or
	// inject a return without one.
	Secrets [][]byte
	Alerter *alerts.Alerter
	Log     zerolog.Logger
	// OnDeliveries wakes the deliverer after new deliveries were recorded.
	OnDeliveries func()

	routes map[string]route
}

// NewHandler returns a handler for the flows of names.
func NewHandler(names contract.Names, st *store.Store, secrets [][]byte, alerter *alerts.Alerter,
	onDeliveries func(), log zerolog.Logger) *Handler {
	routes := map[string]route{}
	for _, f := range names.All() {
		routes[f.RequestKey] = route{flow: f.Name}
		routes[f.ReturnKey] = route{flow: f.Name, isReturn: true}
	}
	return &Handler{Store: st, Secrets: secrets, Alerter: alerter, Log: log, OnDeliveries: onDeliveries, routes: routes}
}

// parsedCopy is a usable request or return copy, ready to be recorded.
type parsedCopy struct {
	flow, requestID string
	log             zerolog.Logger
	// callback is set for a request copy.
	callback string
	// ret is set for a return copy; failedPayout raises an alert with it.
	ret          *store.Return
	failedPayout bool
	alert        events.Alert
}

// maxAttempts bounds the runs of a batch that lost a deadlock or a lock wait:
// running it again is cheaper than handling its copies one by one.
const maxAttempts = 3

// Handle is the broker handler of the copies queue. A copy that cannot be used
// is acknowledged and dropped, never dead-lettered: the original is handled
// (and dead-lettered if need be) by the flow's own consumer.
func (h *Handler) Handle(ctx context.Context, d broker.Delivery) error {
	return h.HandleBatch(ctx, []broker.Delivery{d})
}

// HandleBatch records several copies in one transaction of a few multi-row
// statements (see store.RecordCopiesTx): under load it saves a commit and
// most statements per copy. A failure fails the whole batch, whose copies are
// then handled one by one.
func (h *Handler) HandleBatch(ctx context.Context, ds []broker.Delivery) error {
	var reqs []store.Request
	var rets []store.Return
	var reqCopies, retCopies []parsedCopy // retCopies[i] is the copy of rets[i]
	for _, d := range ds {
		c, ok := h.parse(d)
		switch {
		case !ok:
		case c.ret == nil:
			reqs = append(reqs, store.Request{Flow: c.flow, RequestID: c.requestID, CallbackURL: c.callback})
			reqCopies = append(reqCopies, c)
		default:
			rets = append(rets, *c.ret)
			retCopies = append(retCopies, c)
		}
	}
	if len(reqs) == 0 && len(rets) == 0 {
		return nil
	}
	var rec store.Recorded
	var alerted bool
	for attempt := 1; ; attempt++ {
		var err error
		rec, alerted, err = h.record(ctx, reqs, rets, retCopies)
		if err == nil {
			break
		}
		if attempt == maxAttempts || !db.IsConflict(err) {
			return fmt.Errorf("record %d copies: %w", len(reqs)+len(rets), err)
		}
	}
	// After the commit: the returns that waited for these requests, or whose
	// requests were committed by another batch meanwhile, become deliveries.
	settled, err := h.Store.SettleOrphans(ctx, rec.Settle)
	if err != nil {
		return fmt.Errorf("record %d copies: %w", len(reqs)+len(rets), err)
	}
	for _, c := range reqCopies {
		c.log.Debug().Msg("callback recorded")
	}
	for _, c := range retCopies {
		c.log.Debug().Str("webhook_id", c.ret.WebhookID).Msg("return recorded")
	}
	if rec.Deliveries+settled > 0 {
		h.OnDeliveries()
	}
	if alerted {
		h.Alerter.Kick()
	}
	return nil
}

// record stores the copies in one transaction and raises the alerts of the
// failed payouts seen for the first time.
func (h *Handler) record(ctx context.Context, reqs []store.Request, rets []store.Return,
	retCopies []parsedCopy) (rec store.Recorded, alerted bool, err error) {
	err = h.Store.DB().WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		alerted = false
		if rec, err = store.RecordCopiesTx(tx, reqs, rets); err != nil {
			return err
		}
		for i, c := range retCopies {
			// Raised in the same transaction and only for a return not seen
			// before, so a redelivered copy neither loses nor repeats the alert.
			if !c.failedPayout || !rec.Fresh[i] {
				continue
			}
			alerted = true
			if err := h.Alerter.RaiseTx(tx, c.alert); err != nil {
				return fmt.Errorf("alert on %s return of %s: %w", c.flow, c.requestID, err)
			}
		}
		return nil
	}, store.CopiesTxOptions())
	return rec, alerted, err
}

// parse checks a copy; ok is false for one that is to be dropped.
func (h *Handler) parse(d broker.Delivery) (c parsedCopy, ok bool) {
	r, ok := h.routes[d.RoutingKey]
	if !ok {
		h.Log.Debug().Str("routing_key", d.RoutingKey).Msg("copy with an unexpected routing key dropped")
		return c, false
	}
	fields, err := sign.ParseFields(d.Body)
	if err != nil {
		return c, false
	}
	requestID, _ := str(fields, "request_id")
	if !contract.ValidRequestID(requestID) {
		return c, false
	}
	c = parsedCopy{flow: r.flow, requestID: requestID, log: h.Log.With().Str("flow", r.flow).Str("request_id", requestID).Logger()}
	if err := sign.VerifyAny(h.Secrets, fields); err != nil {
		if r.isReturn {
			c.log.Warn().Msg("return copy with a bad signature dropped")
		}
		return c, false // the flow's service answers bad_signature; its return has no known callback
	}
	_, hasEvent := fields["event"]
	_, hasStatus := fields["status"]
	if !r.isReturn {
		if hasEvent || hasStatus {
			c.log.Info().Msg("copy with event or status on a request key: a return is never a request")
			return c, false
		}
		c.callback, _ = str(fields, "callback_url")
		if c.callback == "" {
			return c, false
		}
		if !validCallback(c.callback) {
			c.log.Info().Msg("request with an invalid callback_url; no webhooks")
			return c, false
		}
		return c, true
	}
	event, _ := str(fields, "event")
	status, ok := integer(fields, "status")
	if event == "" || !ok {
		c.log.Warn().Msg("return copy without event or status dropped")
		return c, false
	}
	if event == contract.EventRejected {
		c.log.Debug().Msg("rejected return not delivered: it never speaks for the request's outcome")
		return c, false
	}
	depositID, _ := str(fields, "deposit_id")
	txHash, _ := str(fields, "tx_hash")
	code, _ := str(fields, "error")
	c.ret = &store.Return{Flow: r.flow, RequestID: requestID, Event: event, Status: status,
		WebhookID: webhook.ID(r.flow, requestID, event, status, depositID, txHash, code), Body: d.Body}
	c.failedPayout = status == contract.StatusFailed &&
		((r.flow == contract.FlowWithdraw && event == contract.EventWithdraw) || (r.flow == contract.FlowPay && event == contract.EventPay))
	c.ret.Exact = c.failedPayout
	if c.failedPayout {
		msg, _ := str(fields, "message")
		c.alert = events.Alert{Kind: events.AlertPayoutFailed, Key: r.flow + ":" + code, Service: "notifier", At: time.Now().Unix(),
			Message: fmt.Sprintf("%s %s failed: %s %s", r.flow, requestID, code, msg)}
	}
	return c, true
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
