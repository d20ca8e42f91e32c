// Package deposits turns the chain-listener's transfer events into the deposit
// returns of the topup flow: pending, then confirmed or reorged, each stage
// once. A deposit is reported confirmed only once the node witnesses it
// (pkg/witness); a transfer the chain contradicts is dead-lettered and alerted
// about, never credited.
package deposits

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/db"
	"paysuite/pkg/events"
	"paysuite/pkg/money"
	"paysuite/pkg/outbox"
	"paysuite/pkg/returnhead"
	"paysuite/pkg/sign"
	"paysuite/pkg/witness"
	"paysuite/services/topup/internal/returns"
	"paysuite/services/topup/internal/store"
)

// maxAttempts bounds the immediate re-runs of a deposit transaction that lost a
// race; past it the event is requeued like any failure.
const maxAttempts = 3

// Handler processes topup's transfer event queue.
type Handler struct {
	Store *store.Store
	Names contract.Names
	// Witnesses are the chains topup serves, by name: each confirms on its
	// node every transfer on its chain reported confirmed, and holds the
	// chain's tokens, in whose decimals amounts are rendered.
	Witnesses map[string]*witness.Witness
	// Internal seals the operator alerts and the webhooks of returns.
	Internal events.Keys
	Sealer   sign.Sealer
	Log      zerolog.Logger
	OnCommit func()
	// Observe counts reported deposit statuses, by chain; optional.
	Observe func(chain string, status int)
}

// deposit is a transfer event to a registered address, ready to be recorded.
type deposit struct {
	ev       events.Transfer
	reg      *store.Registration
	base     returns.Deposit
	log      zerolog.Logger
	reported []int
	// confirmedRemoved: the event removes a deposit already reported confirmed.
	confirmedRemoved bool
}

// Handle is the broker handler for the internal transfer queue.
func (h *Handler) Handle(ctx context.Context, d broker.Delivery) error {
	return h.HandleBatch(ctx, []broker.Delivery{d})
}

// HandleBatch records several transfer events in one transaction, with a
// fixed number of statements whatever their count, after one round trip to
// the node that witnesses the confirmed ones: under load it saves a commit
// and several round trips per event. Any failure fails the whole batch, whose
// events are then handled one by one (a poison one, or one the chain
// contradicts, is dead-lettered alone).
func (h *Handler) HandleBatch(ctx context.Context, ds []broker.Delivery) error {
	deps, err := h.prepare(ctx, ds)
	if err != nil || len(deps) == 0 {
		return err
	}
	if err := h.witness(ctx, deps); err != nil {
		var ref *witness.Refuted
		if errors.As(err, &ref) && len(ds) == 1 {
			return h.dismiss(ctx, deps[0], ref)
		}
		return err
	}
	// READ COMMITTED: locking a deposit not recorded yet takes no gap lock, so
	// workers recording neighbouring deposits do not deadlock. Two batches
	// holding events of one new deposit may both find no row; the second
	// insert then fails on the key and the transaction runs again, now
	// finding the row.
	for attempt := 1; ; attempt++ {
		err = h.Store.DB().WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			return h.record(tx, deps)
		}, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
		if err == nil || attempt == maxAttempts || !(db.IsConflict(err) || db.IsDuplicateKey(err)) {
			break
		}
		h.Log.Debug().Err(err).Int("attempt", attempt).Int("events", len(deps)).Msg("deposit transaction lost a race; running it again")
	}
	if err != nil {
		return fmt.Errorf("record %d deposit events: %w", len(deps), err)
	}
	kick := false
	for _, dep := range deps {
		if len(dep.reported) == 0 {
			continue
		}
		kick = true
		dep.log.Info().Ints("statuses", dep.reported).Msg("deposit reported")
		for _, st := range dep.reported {
			if h.Observe != nil {
				h.Observe(dep.ev.Chain, st)
			}
		}
	}
	if kick {
		h.OnCommit()
	}
	return nil
}

// prepare checks transfer events and finds their registrations with one
// query; a transfer to an address topup does not know is left out.
func (h *Handler) prepare(ctx context.Context, ds []broker.Delivery) ([]*deposit, error) {
	evs := make([]events.Transfer, len(ds))
	amounts := make([]*big.Int, len(ds))
	keys := make([]store.ChainAddress, len(ds))
	for i, d := range ds {
		if err := json.Unmarshal(d.Body, &evs[i]); err != nil {
			return nil, broker.Poison("transfer event is not valid JSON: " + err.Error())
		}
		amount, ok := new(big.Int).SetString(evs[i].Amount, 10)
		if !ok || amount.Sign() < 0 {
			return nil, broker.Poison("transfer event with an invalid amount")
		}
		amounts[i], keys[i] = amount, store.ChainAddress{Chain: evs[i].Chain, Address: evs[i].To}
	}
	regs, err := h.Store.ByChainAddresses(ctx, keys)
	if err != nil {
		return nil, err
	}
	deps := make([]*deposit, 0, len(evs))
	for i, ev := range evs {
		depositID := contract.DepositID(ev.Chain, ev.TxHash, ev.LogIndex)
		log := h.Log.With().Str("deposit_id", depositID).Str("chain", ev.Chain).Str("kind", ev.Kind).Logger()
		reg := regs[keys[i]]
		if reg == nil {
			log.Warn().Str("address", ev.To).Msg("transfer to an address topup does not know on that chain; ignored")
			continue
		}
		decimals, err := h.decimals(ev)
		if err != nil {
			return nil, err
		}
		userID := ""
		if reg.UserID != nil {
			userID = *reg.UserID
		}
		deps = append(deps, &deposit{ev: ev, reg: reg, log: log, base: returns.Deposit{
			Head: returnhead.Head{RequestID: reg.RequestID, Event: contract.EventDeposit}, Chain: ev.Chain, Symbol: ev.Symbol,
			Amount:    money.Format(money.FromBaseUnits(amounts[i], decimals)),
			DepositID: depositID, Address: ev.To, FromAddress: ev.From, TxHash: ev.TxHash, LogIndex: ev.LogIndex,
			BlockNumber: ev.BlockNumber, BlockHash: ev.BlockHash, Confirmations: ev.Confirmations, UserID: userID,
		}})
	}
	return deps, nil
}

// decimals are those configured for the token of ev on its chain: what the
// listener says of the chain is a claim, and the witness holds confirmed
// events to the configuration too.
func (h *Handler) decimals(ev events.Transfer) (int32, error) {
	if w := h.Witnesses[ev.Chain]; w != nil {
		if tok, ok := w.Tokens.BySymbol(ev.Symbol); ok && tok.Symbol == ev.Symbol && tok.Decimals == ev.Decimals {
			return tok.Decimals, nil
		}
	}
	return 0, broker.Poison(fmt.Sprintf("transfer event of a token (or decimals) topup does not serve on chain %q", ev.Chain))
}

// witness confirms the confirmed events of deps on their chains' nodes, one
// round trip per chain, and reports each with the depth its node gives it.
func (h *Handler) witness(ctx context.Context, deps []*deposit) error {
	confirmed := map[string][]*deposit{}
	var chains []string
	for _, dep := range deps {
		if dep.ev.Kind == events.KindConfirmed {
			if confirmed[dep.ev.Chain] == nil {
				chains = append(chains, dep.ev.Chain)
			}
			confirmed[dep.ev.Chain] = append(confirmed[dep.ev.Chain], dep)
		}
	}
	for _, chain := range chains {
		claims := make([]events.Transfer, len(confirmed[chain]))
		for i, dep := range confirmed[chain] {
			claims[i] = dep.ev
		}
		// prepare kept only events of served chains: decimals found a witness.
		head, err := h.Witnesses[chain].Confirm(ctx, claims)
		if err != nil {
			return fmt.Errorf("witness %d confirmed deposits on %s: %w", len(claims), chain, err)
		}
		for _, dep := range confirmed[chain] {
			dep.base.Confirmations = head - dep.ev.BlockNumber + 1
		}
	}
	return nil
}

// dismiss raises the operator alert about a transfer the chain contradicts
// and dead-letters its event: nothing is credited.
func (h *Handler) dismiss(ctx context.Context, dep *deposit, ref *witness.Refuted) error {
	msg, err := ref.AlertMessage(h.Internal, "topup", dep.ev.Sequence, time.Now())
	if err != nil {
		return err
	}
	if err := h.Store.DB().WithContext(ctx).Transaction(func(tx *gorm.DB) error { return outbox.Add(tx, msg) }); err != nil {
		return fmt.Errorf("alert about transfer %s: %w", ref.Transfer, err)
	}
	h.OnCommit()
	dep.log.Error().Str("reason", ref.Reason).Msg("the chain contradicts a confirmed transfer event; dead-lettered, nothing credited")
	return broker.Poison(ref.Error())
}

// record stores the events inside tx, in their order, and the returns they
// cause in the outbox; each dep.reported lists the statuses it reported.
// Events of one deposit in the same batch apply one after the other to the
// row as the earlier ones left it.
func (h *Handler) record(tx *gorm.DB, deps []*deposit) error {
	ids := make([]string, len(deps))
	for i, dep := range deps {
		ids[i] = dep.base.DepositID
	}
	rows, err := store.LockDeposits(tx, ids)
	if err != nil {
		return err
	}
	created := map[string]bool{}
	changed := map[string]bool{}
	var msgs []outbox.Message
	for _, dep := range deps {
		id := dep.base.DepositID
		row, reported := apply(dep, rows[id])
		dep.reported = reported
		if row == nil {
			continue // a stale or repeated event
		}
		if dep.confirmedRemoved {
			alert, err := h.confirmedRemovedAlert(dep)
			if err != nil {
				return err
			}
			msgs = append(msgs, alert)
		}
		if rows[id] == nil {
			created[id] = true
		} else if !created[id] {
			changed[id] = true
		}
		rows[id] = row
		for _, status := range reported {
			m := dep.base
			m.Status = status
			if status == contract.StatusFailed {
				m.Error, m.Message = contract.ErrReorged, "the block holding the transfer left the canonical chain"
			}
			body, err := h.Sealer.Seal(m)
			if err != nil {
				return err
			}
			ret, err := events.Return{RequestID: dep.reg.RequestID, CallbackURL: dep.reg.CallbackURL,
				MessageID: fmt.Sprintf("%s:deposit:%s:%d:%d", dep.reg.RequestID, id, status, dep.ev.Sequence),
				Body:      body}.Messages(h.Internal, h.Names.Exchange, h.Names.Topup())
			if err != nil {
				return err
			}
			msgs = append(msgs, ret...)
		}
	}
	if err := outbox.Add(tx, msgs...); err != nil {
		return err
	}
	return store.SaveDeposits(tx, pick(rows, created), pick(rows, changed))
}

// apply works out what one event does to a deposit last recorded as row (nil
// when never recorded): the row to store and the statuses to report, or a
// nil row when the event is stale or repeated.
func apply(dep *deposit, row *store.Deposit) (*store.Deposit, []int) {
	ev := dep.ev
	if row != nil && ev.Sequence <= row.Seq {
		return nil, nil
	}
	reported := next(row, ev.Kind)
	if row != nil && len(reported) == 0 && row.Status == contract.StatusSuccess && ev.Kind == events.KindRemoved {
		dep.log.Error().Str("request_id", dep.reg.RequestID).
			Msg("a confirmed deposit left the canonical chain; it stays confirmed, no return is sent, operators are alerted")
		dep.confirmedRemoved = true
	}
	status := contract.StatusPending
	if row != nil {
		status = row.Status
	}
	if len(reported) > 0 {
		status = reported[len(reported)-1]
	}
	return &store.Deposit{
		DepositID: dep.base.DepositID, Chain: ev.Chain, RequestID: dep.reg.RequestID, Address: ev.To, Symbol: ev.Symbol,
		Amount: dep.base.Amount, Status: status, Seq: ev.Sequence, TxHash: ev.TxHash, BlockNumber: ev.BlockNumber,
	}, reported
}

// confirmedRemovedAlert is the operator alert about a deposit reported
// confirmed (status 1) whose transfer then left the canonical chain, by a
// reorganisation deeper than the confirmation depth. No return says so: the
// contract never undoes a status 1, so the business system has credited it
// and only an operator can settle it. One alert per removal event (its
// sequence names it), so a redelivery raises it under the same message id.
func (h *Handler) confirmedRemovedAlert(dep *deposit) (outbox.Message, error) {
	id := dep.base.DepositID
	a := events.Alert{Kind: events.AlertConfirmedRemoved, Key: id, Service: "topup", At: time.Now().Unix(),
		Message: fmt.Sprintf("deposit %s of %s %s to %s on %s (request_id %s, block %d) was reported confirmed and has "+
			"left the canonical chain. It stays confirmed and no return was sent: check on chain whether "+
			"the funds arrived again, and settle with the business system.", id, dep.base.Amount, dep.ev.Symbol, dep.ev.To, dep.ev.Chain, dep.reg.RequestID, dep.ev.BlockNumber)}
	msg, err := h.Internal.Alert(fmt.Sprintf("alert:%s:%s:%d", a.Kind, id, dep.ev.Sequence), a)
	if err != nil {
		return outbox.Message{}, fmt.Errorf("seal the alert about deposit %s: %w", id, err)
	}
	return msg, nil
}

// pick returns the rows whose ids are in set, in id order so that statements
// touch rows in the same order as the lock.
func pick(rows map[string]*store.Deposit, set map[string]bool) []*store.Deposit {
	out := make([]*store.Deposit, 0, len(set))
	for id := range set {
		out = append(out, rows[id])
	}
	slices.SortFunc(out, func(a, b *store.Deposit) int { return strings.Compare(a.DepositID, b.DepositID) })
	return out
}

// next returns the statuses to report, in order, when an event of kind arrives
// for a deposit last reported as row (nil when never reported).
func next(row *store.Deposit, kind string) []int {
	if row == nil {
		return events.StatusesAfter(events.NotReported, kind)
	}
	return events.StatusesAfter(row.Status, kind)
}
