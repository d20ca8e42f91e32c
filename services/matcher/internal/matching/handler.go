// Package matching applies the chain-listener's transfer events to orders: it
// attributes each transfer to an order (by address, or by exact amount on the
// shared address), reports it as paid, settles the order once timely confirmed
// transfers cover it, and keeps the transfers that match nothing for operators.
// A transfer counts as confirmed only once the node witnesses it
// (pkg/witness); one the chain contradicts is dead-lettered and alerted about,
// never counted. A payment reported seen that a reorganisation removes is
// reported paid with status 0 (reorged); one already reported confirmed stays
// confirmed, and operators are alerted.
package matching

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/money"
	"paysuite/pkg/outbox"
	"paysuite/pkg/returnhead"
	"paysuite/pkg/sign"
	"paysuite/pkg/tokens"
	"paysuite/pkg/witness"
	"paysuite/services/matcher/internal/returns"
	"paysuite/services/matcher/internal/store"
)

// Alert kinds the matcher raises for operators, besides the shared ones
// (events.AlertConfirmedRemoved, the witness's).
const (
	AlertUnmatchedTransfer = "unmatched_transfer"
	AlertPaymentReorged    = "payment_reorged"
)

// maxAmountDigits is what a DECIMAL(65,0) column holds; a larger transfer
// cannot pay any order and is kept as unmatched.
const maxAmountDigits = 65

// Handler processes the matcher's transfer event queue.
type Handler struct {
	Store *store.Store
	Names contract.Names
	// SharedAddress is the amount-mode receiving address (lowercase).
	SharedAddress string
	// Witnesses confirm on each chain's node, by chain name, every transfer
	// reported confirmed there; their tokens give a payment's decimals.
	Witnesses map[string]*witness.Witness
	// Tokens give a payment's decimals, by chain name, to a Handler without
	// Witnesses: one that only assigns (the operator's command).
	Tokens map[string]tokens.List
	// Internal seals the operator alerts and the webhooks of returns.
	Internal events.Keys
	Sealer   sign.Sealer
	Log      zerolog.Logger
	// OnCommit wakes the outbox relay.
	OnCommit func()
}

// Handle is the broker handler for the internal transfer queue.
func (h *Handler) Handle(ctx context.Context, d broker.Delivery) error {
	var ev events.Transfer
	if err := json.Unmarshal(d.Body, &ev); err != nil {
		return broker.Poison("transfer event is not valid JSON: " + err.Error())
	}
	amount, ok := new(big.Int).SetString(ev.Amount, 10)
	if !ok || amount.Sign() < 0 {
		return broker.Poison("transfer event with an invalid amount")
	}
	switch ev.Kind {
	case events.KindSeen, events.KindConfirmed, events.KindRemoved:
	default:
		return broker.Poison("transfer event of unknown kind " + ev.Kind)
	}
	err := h.Apply(ctx, ev)
	var ref *witness.Refuted
	if errors.As(err, &ref) {
		return h.dismiss(ctx, ev, ref)
	}
	if store.Retryable(err) {
		// Rolled back as a deadlock victim: the broker's requeue runs it again.
		return fmt.Errorf("apply transfer %s: %w", contract.DepositID(ev.Chain, ev.TxHash, ev.LogIndex), err)
	}
	return err
}

// Apply records one transfer event and the returns it causes, in one
// transaction. An event whose Sequence is not newer than the last one applied
// to that transfer changes nothing, so redeliveries and stale events are
// harmless. A confirmed event is first witnessed on the node: one the chain
// contradicts fails with a *witness.Refuted and changes nothing.
func (h *Handler) Apply(ctx context.Context, ev events.Transfer) error {
	id := contract.DepositID(ev.Chain, ev.TxHash, ev.LogIndex)
	if ev.Kind == events.KindConfirmed {
		w, ok := h.Witnesses[ev.Chain]
		if !ok {
			return &witness.Refuted{Transfer: id, Reason: "chain " + ev.Chain + " is not served"}
		}
		if _, err := w.Confirm(ctx, []events.Transfer{ev}); err != nil {
			return fmt.Errorf("witness transfer %s: %w", id, err)
		}
	}
	log := h.Log.With().Str("transfer_id", id).Str("kind", ev.Kind).Uint64("seq", ev.Sequence).Logger()
	var res result
	err := h.Store.DB().WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res = result{}
		return h.apply(tx, id, ev, &res)
	})
	if err != nil {
		return fmt.Errorf("apply transfer %s: %w", id, err)
	}
	res.log(log)
	if res.published {
		h.OnCommit()
	}
	return nil
}

// result describes what one event did, for the log line after the commit.
type result struct {
	published bool
	stale     bool
	unmatched string
	requestID string
	statuses  []int
	reorged   bool
	// confirmedRemoved: a payment reported confirmed left the canonical chain.
	confirmedRemoved bool
	state            string
}

func (r result) log(log zerolog.Logger) {
	switch {
	case r.stale:
		log.Debug().Msg("stale or repeated transfer event ignored")
	case r.unmatched != "":
		log.Warn().Str("reason", r.unmatched).Msg("transfer matches no order")
	case r.reorged:
		log.Warn().Str("request_id", r.requestID).Msg("a seen payment left the canonical chain; reported reorged, no longer counted")
	case r.confirmedRemoved:
		log.Error().Str("request_id", r.requestID).
			Msg("a confirmed payment left the canonical chain; it stays confirmed, operators alerted")
	default:
		log.Info().Str("request_id", r.requestID).Ints("statuses", r.statuses).Str("order_state", r.state).Msg("payment applied")
	}
}

func (h *Handler) apply(tx *gorm.DB, id string, ev events.Transfer, res *result) error {
	// A transfer seen before keeps the order it was matched to: a re-mined or
	// confirmed transfer is never matched (or counted) a second time.
	orderPK, matched, err := store.PaymentOrder(tx, id)
	if err != nil {
		return err
	}
	var order *store.Order
	if matched {
		if order, err = store.LockOrder(tx, orderPK); err != nil {
			return err
		}
		if order == nil {
			return fmt.Errorf("payment %s refers to missing order %d", id, orderPK)
		}
	} else {
		un, err := store.LockUnmatched(tx, id)
		if err != nil {
			return err
		}
		if un != nil {
			// An operator may have assigned it since this transaction's
			// first read: the lock on it is taken now, so the assignment
			// shows, and the event is the payment's.
			a, err := store.AssignmentOf(tx, id)
			if err != nil {
				return err
			}
			if a == nil {
				return h.updateUnmatched(tx, un, ev, res)
			}
			if order, err = store.LockOrder(tx, a.OrderPK); err != nil {
				return err
			}
			if order == nil {
				return fmt.Errorf("transfer %s is assigned to missing order %d", id, a.OrderPK)
			}
			return h.applyToOrder(tx, order, id, ev, "", res)
		}
		order, reason, err := h.match(tx, ev)
		if err != nil {
			return err
		}
		if order == nil {
			return h.recordUnmatched(tx, id, ev, reason, res)
		}
		return h.applyToOrder(tx, order, id, ev, "", res)
	}
	return h.applyToOrder(tx, order, id, ev, "", res)
}

// match finds and locks the order a new transfer pays, or says why none.
func (h *Handler) match(tx *gorm.DB, ev events.Transfer) (*store.Order, string, error) {
	if len(ev.Amount) > maxAmountDigits {
		return nil, "amount too large for any order", nil
	}
	var order *store.Order
	var err error
	if ev.To == h.SharedAddress {
		order, err = store.LockAmountOrder(tx, ev.Chain, ev.To, ev.Symbol, ev.Amount)
		if err == nil && order == nil {
			return nil, "no amount-mode order has this payable amount", nil
		}
	} else {
		order, err = store.LockAddressOrder(tx, ev.To)
		if err == nil && order == nil {
			return nil, "no order has this address", nil
		}
	}
	if err != nil {
		return nil, "", err
	}
	if why := payable(order, ev); why != "" {
		return nil, why, nil
	}
	return order, "", nil
}

// payable says why order cannot be paid by the transfer of ev (another chain
// or token), or "" when it can.
func payable(order *store.Order, ev events.Transfer) string {
	if !order.Offers(ev.Chain) {
		return fmt.Sprintf("chain %s is not one the order is payable on (%s)", ev.Chain, strings.Join(order.OfferedChains(), ","))
	}
	if order.Symbol != ev.Symbol {
		return fmt.Sprintf("token %s differs from the order's %s", ev.Symbol, order.Symbol)
	}
	return ""
}

// applyToOrder moves one payment of a locked order through seen, confirmed and
// removed, reports each new stage once, and settles the order. note, when
// set, is the message of the paid returns it reports.
func (h *Handler) applyToOrder(tx *gorm.DB, order *store.Order, id string, ev events.Transfer, note string, res *result) error {
	res.requestID = order.RequestID
	payments, err := store.OrderPayments(tx, order.ID)
	if err != nil {
		return err
	}
	var pay *store.Payment
	for i := range payments {
		if payments[i].TransferID == id {
			pay = &payments[i]
		}
	}
	if pay != nil && ev.Sequence <= pay.Seq {
		res.stale = true
		return nil
	}
	if pay == nil {
		payments = append(payments, store.Payment{
			TransferID: id, OrderPK: order.ID, Chain: ev.Chain, TxHash: ev.TxHash, LogIndex: ev.LogIndex, FromAddress: ev.From,
			Amount: ev.Amount, Decimals: h.decimals(ev), State: "",
			// Late when the order's expiry has passed on the database clock, or it
			// has already been reported expired.
			Late: order.PastDue || order.State == store.StateExpired,
		})
		pay = &payments[len(payments)-1]
	} else if pay.State == store.PaymentRemoved && order.State == store.StateExpired {
		// Re-mined after the order expired without it: it no longer arrived in time.
		pay.Late = true
	}
	statuses := next(pay.State, ev.Kind)
	prevState := pay.State
	pay.Seq, pay.BlockNumber = ev.Sequence, ev.BlockNumber
	switch {
	case ev.Kind == events.KindRemoved && prevState != store.PaymentConfirmed:
		pay.State = store.PaymentRemoved
	case ev.Kind == events.KindConfirmed || prevState == store.PaymentConfirmed:
		pay.State = store.PaymentConfirmed
	default:
		pay.State = store.PaymentSeen
	}
	if err := store.SavePayment(tx, *pay); err != nil {
		return err
	}

	var msgs []outbox.Message
	for _, status := range statuses {
		ret := returns.Paid{
			Head:    returnhead.Head{RequestID: order.RequestID, Event: contract.EventPaid, Status: status, Message: note},
			OrderID: order.OrderID, Chain: pay.Chain, Symbol: order.Symbol, Amount: FormatBase(order.Amount, order.Decimals),
			PayAddress: order.PayAddress, PayAmount: FormatBase(order.PayAmount, order.Decimals),
			PaidAmount: FormatBase(pay.Amount, pay.Decimals), TxHash: pay.TxHash, BlockNumber: ev.BlockNumber, Late: pay.Late,
		}
		if status == contract.StatusFailed {
			ret.Error, ret.Message = contract.ErrReorged, "the block holding the transfer left the canonical chain"
		}
		body, err := h.Sealer.Seal(ret)
		if err != nil {
			return err
		}
		// The event's sequence makes each stage of each life of the transfer
		// its own return: a transfer seen again after a reorg is a new
		// status 2 (another block), not a redelivery of the first.
		paid, err := events.Return{RequestID: order.RequestID, CallbackURL: order.CallbackURL,
			MessageID: fmt.Sprintf("%s:paid:%s:%d:%d", order.RequestID, id, status, ev.Sequence),
			Body:      body}.Messages(h.Internal, h.Names.Exchange, h.Names.Order())
		if err != nil {
			return err
		}
		msgs = append(msgs, paid...)
	}
	res.statuses = statuses
	alert, err := h.removalAlert(order, pay, prevState, ev, res)
	if err != nil {
		return err
	}
	if alert != nil {
		msgs = append(msgs, *alert)
	}

	state, covered := settle(order, payments)
	res.state = state
	if state != order.State || covered != order.Covered {
		if err := store.UpdateOrder(tx, order.ID, state, covered); err != nil {
			return err
		}
	}
	res.published = len(msgs) > 0
	return outbox.Add(tx, msgs...)
}

// decimals are those of the token of ev on its chain as configured, or as
// the event says on a chain no longer served.
func (h *Handler) decimals(ev events.Transfer) int32 {
	if d, ok := h.tokenDecimals(ev.Chain, ev.Symbol); ok {
		return d
	}
	return int32(ev.Decimals)
}

// tokenDecimals are the decimals of the token symbol on chain as configured.
func (h *Handler) tokenDecimals(chain, symbol string) (int32, bool) {
	list := h.Tokens[chain]
	if w, ok := h.Witnesses[chain]; ok {
		list = w.Tokens
	}
	if tok, ok := list.BySymbol(symbol); ok {
		return tok.Decimals, true
	}
	return 0, false
}

// settle computes an order's state and coverage from its payments. Only timely
// transfers count towards the order, on whichever offered chain they were
// made: covered when the seen or confirmed ones reach the payable amount (the
// order then waits for confirmation instead of expiring), paid when the
// confirmed ones do. Closed orders stay closed.
func settle(order *store.Order, payments []store.Payment) (state string, covered bool) {
	need := Amount(order.PayAmount, order.Decimals)
	covered = TimelySum(payments, false).Cmp(need) >= 0
	if order.State == store.StateOpen && TimelySum(payments, true).Cmp(need) >= 0 {
		return store.StatePaid, covered
	}
	return order.State, covered
}

// TimelySum is what arrived in time and was not removed (only the confirmed
// part when confirmedOnly), in tokens: the paid_amount of an expired return.
func TimelySum(payments []store.Payment, confirmedOnly bool) decimal.Decimal {
	sum := decimal.Zero
	for _, p := range payments {
		if p.Late || p.State == store.PaymentRemoved || (confirmedOnly && p.State != store.PaymentConfirmed) {
			continue
		}
		sum = sum.Add(Amount(p.Amount, p.Decimals))
	}
	return sum
}

// removalAlert is the operator alert due when ev removes a payment last in
// state prev, or nil: a seen payment reported reorged (payment_reorged), or a
// confirmed one, which stays confirmed since status 1 is final, so only an
// operator can act on it (confirmed_removed).
func (h *Handler) removalAlert(order *store.Order, pay *store.Payment, prev string, ev events.Transfer, res *result) (*outbox.Message, error) {
	if ev.Kind != events.KindRemoved {
		return nil, nil
	}
	id := pay.TransferID
	var a events.Alert
	switch prev {
	case store.PaymentSeen:
		res.reorged = true
		a = events.Alert{Kind: AlertPaymentReorged, Key: order.RequestID,
			Message: fmt.Sprintf("payment %s of order %s (request %s) left the canonical chain after it was reported seen; reported reorged",
				id, order.OrderID, order.RequestID)}
	case store.PaymentConfirmed:
		res.confirmedRemoved = true
		a = events.Alert{Kind: events.AlertConfirmedRemoved, Key: id,
			Message: fmt.Sprintf("payment %s of %s %s to order %s (request %s) left the canonical chain after it was reported confirmed; "+
				"it stays confirmed and counted: check the chain", id, FormatBase(pay.Amount, pay.Decimals), order.Symbol,
				order.OrderID, order.RequestID)}
	default:
		return nil, nil
	}
	a.Service, a.Chain, a.At = "matcher", pay.Chain, time.Now().Unix()
	m, err := h.alertMessage(a, id, ev.Sequence)
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// next returns the paid statuses to report, in order, when an event of kind
// arrives for a payment last in state ("" when new): events.StatusesAfter
// of the status that state was reported with.
func next(state, kind string) []int {
	last, ok := reportedAs[state]
	if !ok {
		return nil
	}
	return events.StatusesAfter(last, kind)
}

// reportedAs is the paid status each payment state was last reported with.
var reportedAs = map[string]int{"": events.NotReported, store.PaymentSeen: contract.StatusPending,
	store.PaymentConfirmed: contract.StatusSuccess, store.PaymentRemoved: contract.StatusFailed}

// alertMessage seals an operator alert for the outbox.
func (h *Handler) alertMessage(a events.Alert, transferID string, seq uint64) (outbox.Message, error) {
	m, err := h.Internal.Alert(fmt.Sprintf("alert:%s:%s:%d", a.Kind, transferID, seq), a)
	if err != nil {
		return outbox.Message{}, fmt.Errorf("seal alert: %w", err)
	}
	return m, nil
}

// dismiss raises the operator alert about a transfer the chain contradicts
// and dead-letters its event: nothing is counted.
func (h *Handler) dismiss(ctx context.Context, ev events.Transfer, ref *witness.Refuted) error {
	msg, err := ref.AlertMessage(h.Internal, "matcher", ev.Sequence, time.Now())
	if err != nil {
		return err
	}
	if err := h.Store.DB().WithContext(ctx).Transaction(func(tx *gorm.DB) error { return outbox.Add(tx, msg) }); err != nil {
		return fmt.Errorf("alert about transfer %s: %w", ref.Transfer, err)
	}
	h.OnCommit()
	h.Log.Error().Str("transfer_id", ref.Transfer).Str("reason", ref.Reason).
		Msg("the chain contradicts a confirmed transfer event; dead-lettered, nothing counted")
	return broker.Poison(ref.Error())
}

// FormatBase renders base units of a token with decimals as a canonical amount.
func FormatBase(base string, decimals int32) string {
	return money.Format(Amount(base, decimals))
}

// Amount is base units of a token with decimals, in tokens; 0 when base is
// not a number.
func Amount(base string, decimals int32) decimal.Decimal {
	v, ok := new(big.Int).SetString(base, 10)
	if !ok {
		return decimal.Zero
	}
	return money.FromBaseUnits(v, decimals)
}
