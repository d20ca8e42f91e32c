// Package deposits turns the chain-listener's transfer events into the deposit
// returns of the topup flow: pending, then confirmed or reorged, each stage once.
package deposits

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/db"
	"paysuite/pkg/events"
	"paysuite/pkg/money"
	"paysuite/pkg/outbox"
	"paysuite/pkg/sign"
	"paysuite/services/topup/internal/returns"
	"paysuite/services/topup/internal/store"
)

// maxAttempts bounds the immediate re-runs of a deposit transaction that lost a
// race; past it the event is requeued like any failure.
const maxAttempts = 3

// Handler processes topup's transfer event queue.
type Handler struct {
	Store    *store.Store
	Names    contract.Names
	Sealer   sign.Sealer
	Log      zerolog.Logger
	OnCommit func()
	// Observe counts reported deposit statuses; optional.
	Observe func(status int)
}

// deposit is a transfer event to a registered address, ready to be recorded.
type deposit struct {
	ev       events.Transfer
	reg      *store.Registration
	base     returns.Deposit
	log      zerolog.Logger
	reported []int
}

// Handle is the broker handler for the internal transfer queue.
func (h *Handler) Handle(ctx context.Context, d broker.Delivery) error {
	return h.HandleBatch(ctx, []broker.Delivery{d})
}

// HandleBatch records several transfer events in one transaction: under load
// it saves a commit per event. Any failure fails the whole batch, whose
// events are then handled one by one (a poison one is dead-lettered alone).
func (h *Handler) HandleBatch(ctx context.Context, ds []broker.Delivery) error {
	deps := make([]*deposit, 0, len(ds))
	for _, d := range ds {
		dep, err := h.prepare(ctx, d)
		if err != nil {
			return err
		}
		if dep != nil {
			deps = append(deps, dep)
		}
	}
	if len(deps) == 0 {
		return nil
	}
	// READ COMMITTED: locking a deposit not recorded yet takes no gap lock, so
	// workers recording neighbouring deposits do not deadlock. Two events of
	// one new deposit may both find no row; the second insert then fails on the
	// key and the transaction runs again, now finding the row.
	var err error
	for attempt := 1; ; attempt++ {
		err = h.Store.DB().WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			for _, dep := range deps {
				if err := h.record(tx, dep); err != nil {
					return err
				}
			}
			return nil
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
				h.Observe(st)
			}
		}
	}
	if kick {
		h.OnCommit()
	}
	return nil
}

// prepare checks a transfer event and finds its registration; it returns nil
// for a transfer to an address topup does not know.
func (h *Handler) prepare(ctx context.Context, d broker.Delivery) (*deposit, error) {
	var ev events.Transfer
	if err := json.Unmarshal(d.Body, &ev); err != nil {
		return nil, broker.Poison("transfer event is not valid JSON: " + err.Error())
	}
	amount, ok := new(big.Int).SetString(ev.Amount, 10)
	if !ok || amount.Sign() < 0 {
		return nil, broker.Poison("transfer event with an invalid amount")
	}
	depositID := contract.DepositID(ev.Chain, ev.TxHash, ev.LogIndex)
	log := h.Log.With().Str("deposit_id", depositID).Str("kind", ev.Kind).Logger()
	reg, err := h.Store.ByAddress(ctx, ev.To)
	if err != nil {
		return nil, err
	}
	if reg == nil {
		log.Warn().Str("address", ev.To).Msg("transfer to an address topup does not know; ignored")
		return nil, nil
	}
	userID := ""
	if reg.UserID != nil {
		userID = *reg.UserID
	}
	return &deposit{ev: ev, reg: reg, log: log, base: returns.Deposit{
		RequestID: reg.RequestID, Event: contract.EventDeposit, Chain: ev.Chain, Symbol: ev.Symbol,
		Amount:    money.Format(money.FromBaseUnits(amount, ev.Decimals)),
		DepositID: depositID, Address: ev.To, FromAddress: ev.From, TxHash: ev.TxHash, LogIndex: ev.LogIndex,
		BlockNumber: ev.BlockNumber, BlockHash: ev.BlockHash, Confirmations: ev.Confirmations, UserID: userID,
	}}, nil
}

// record stores one event inside tx and the returns it causes in the outbox;
// dep.reported lists the statuses reported.
func (h *Handler) record(tx *gorm.DB, dep *deposit) error {
	ev, base, depositID := dep.ev, dep.base, dep.base.DepositID
	dep.reported = nil
	row, err := store.LockDeposit(tx, depositID)
	if err != nil {
		return err
	}
	if row != nil && ev.Sequence <= row.Seq {
		return nil // a stale or repeated event
	}
	reported := next(row, ev.Kind)
	if row != nil && len(reported) == 0 && row.Status == contract.StatusSuccess && ev.Kind == events.KindRemoved {
		dep.log.Error().Msg("a confirmed deposit left the canonical chain; it stays confirmed")
	}
	msgs := make([]outbox.Message, 0, len(reported))
	for _, status := range reported {
		m := base
		m.Status = status
		if status == contract.StatusFailed {
			m.Error, m.Message = contract.ErrReorged, "the block holding the transfer left the canonical chain"
		}
		body, err := h.Sealer.Seal(m)
		if err != nil {
			return err
		}
		msgs = append(msgs, outbox.Message{
			Exchange: h.Names.Exchange, RoutingKey: h.Names.TopupReturnKey,
			MessageID: fmt.Sprintf("%s:deposit:%s:%d:%d", dep.reg.RequestID, depositID, status, ev.Sequence), Body: body,
		})
	}
	if err := outbox.Add(tx, msgs...); err != nil {
		return err
	}
	status := contract.StatusPending
	if row != nil {
		status = row.Status
	}
	if len(reported) > 0 {
		status = reported[len(reported)-1]
	}
	rec := &store.Deposit{
		DepositID: depositID, RequestID: dep.reg.RequestID, Address: ev.To, Symbol: ev.Symbol,
		Amount: base.Amount, Status: status, Seq: ev.Sequence, TxHash: ev.TxHash, BlockNumber: ev.BlockNumber,
	}
	if row == nil {
		// A plain insert: a concurrent first insert must fail on the key,
		// not be overwritten by an upsert.
		err = tx.Create(rec).Error
	} else {
		err = tx.Save(rec).Error
	}
	if err != nil {
		return err
	}
	dep.reported = reported
	return nil
}

// next returns the statuses to report, in order, when an event of kind arrives
// for a deposit last reported as row (nil when never reported). A deposit is
// always reported pending before anything else, and a confirmed one is final.
func next(row *store.Deposit, kind string) []int {
	last := -1
	if row != nil {
		last = row.Status
	}
	switch kind {
	case events.KindSeen:
		if last == -1 || last == contract.StatusFailed {
			return []int{contract.StatusPending}
		}
	case events.KindConfirmed:
		switch last {
		case -1, contract.StatusFailed:
			return []int{contract.StatusPending, contract.StatusSuccess}
		case contract.StatusPending:
			return []int{contract.StatusSuccess}
		}
	case events.KindRemoved:
		if last == contract.StatusPending {
			return []int{contract.StatusFailed}
		}
	}
	return nil
}
