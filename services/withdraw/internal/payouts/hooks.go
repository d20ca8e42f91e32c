package payouts

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/outbox"
	"paysuite/pkg/payoutreturns"
	"paysuite/pkg/returnhead"
	"paysuite/pkg/sign"
	"paysuite/pkg/txsender"
	"paysuite/services/withdraw/internal/returns"
	"paysuite/services/withdraw/internal/store"
)

// Hooks implements txsender.Hooks for withdraw: they turn the sender's
// progress on withdrawals into returns, the submitted notice when the
// transaction is first broadcast and the one final answer when it is confirmed
// (or reverted), stored with the withdrawal and queued in the outbox in the
// sender's own transaction.
type Hooks struct {
	Names  contract.Names
	Sealer sign.Sealer
	// Keys seal the alerts sent to the other services and the webhooks of
	// returns for the notifier.
	Keys events.Keys
	Log  zerolog.Logger
	// OnCommit wakes the outbox relay.
	OnCommit func()
	// OnFinal, if set, is told the status of each final answer stored (for
	// metrics).
	OnFinal func(status int)
}

// Broadcast stores and queues the submitted notice, once.
func (h *Hooks) Broadcast(_ context.Context, tx *gorm.DB, s *txsender.Send) error {
	w, err := payoutreturns.Lock(tx, s, "withdrawal", store.Lock, func(w *store.Withdrawal) bool {
		return w.SubmittedBody != nil || w.FinalBody != nil
	})
	if err != nil || w == nil {
		return err
	}
	return h.queue().Submitted(tx, w, w.RequestID, w.CallbackURL, returns.Submitted{
		Head:  returnhead.Head{RequestID: w.RequestID, Event: contract.EventSubmitted, Status: contract.StatusPending},
		Chain: w.Chain, Symbol: w.Symbol, Amount: deref(w.Amount), ToAddress: deref(w.ToAddress),
		FromAddress: deref(w.FromAddress), TxHash: s.TxHash,
	})
}

// Final stores and queues the final answer, once, with an operator alert when
// the withdrawal failed after its transaction was sent.
func (h *Hooks) Final(_ context.Context, tx *gorm.DB, s *txsender.Send) error {
	w, err := payoutreturns.Lock(tx, s, "withdrawal", store.Lock, final)
	if err != nil || w == nil {
		return err
	}
	o := payoutreturns.Final(s)
	out := returns.Withdraw{Head: o.Head(w.RequestID, contract.EventWithdraw),
		Chain: w.Chain, Symbol: w.Symbol, Amount: deref(w.Amount), ToAddress: deref(w.ToAddress), FromAddress: deref(w.FromAddress),
		TxHash: o.TxHash, BlockNumber: o.BlockNumber, Fee: o.Fee}
	upd := map[string]any{"state": store.StateDone, "status": out.Status}
	if out.Error != "" {
		upd["error"] = out.Error
	}
	_, msgs, err := h.queue().Final(tx, w, w.RequestID, w.CallbackURL, contract.EventWithdraw, out, upd)
	if err != nil {
		return err
	}
	if h.OnFinal != nil {
		h.OnFinal(out.Status)
	}
	log := h.Log.With().Str("request_id", w.RequestID).Str("tx_hash", out.TxHash).Logger()
	if out.Status == contract.StatusFailed {
		kind, text := events.AlertPayoutFailed, fmt.Sprintf("withdrawal %s failed (%s) after its transaction %s was sent", w.RequestID, out.Error, s.TxHash)
		if s.State == txsender.StateNotMoved {
			kind, text = events.AlertTokensNotMoved, fmt.Sprintf("withdrawal %s failed: its transaction %s was mined but the token %s moved nothing (%s)",
				w.RequestID, out.TxHash, s.To, deref(s.LastError))
		}
		alert, err := h.queue().Alert(kind, w.RequestID, w.RequestID, text, time.Now())
		if err != nil {
			return err
		}
		msgs = append(msgs, alert)
		log.Error().Str("error", out.Error).Msg("withdrawal failed")
	} else {
		log.Info().Str("fee", out.Fee).Msg("withdrawal confirmed")
	}
	return outbox.Add(tx, msgs...)
}

// final tells a withdrawal whose final answer is stored.
func final(w *store.Withdrawal) bool { return w.FinalBody != nil }

// queue queues withdraw's returns and alerts.
func (h *Hooks) queue() payoutreturns.Queue {
	return Queue(h.Keys, h.Sealer, h.Names)
}

// Queue queues withdraw's returns and alerts, sealed with sealer and keys.
func Queue(keys events.Keys, sealer sign.Sealer, names contract.Names) payoutreturns.Queue {
	return payoutreturns.Queue{Service: "withdraw", Sealer: sealer, Keys: keys, Exchange: names.Exchange, Flow: names.Withdraw()}
}

// Committed wakes the outbox relay.
func (h *Hooks) Committed() { h.OnCommit() }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
