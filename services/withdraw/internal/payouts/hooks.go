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
	w, err := store.Lock(tx, s.Ref)
	if err != nil {
		return err
	}
	if w == nil {
		return fmt.Errorf("send %s: no withdrawal %s", s.Key, s.Ref)
	}
	if w.SubmittedBody != nil || w.FinalBody != nil {
		return nil
	}
	body, err := h.Sealer.Seal(returns.Submitted{
		RequestID: w.RequestID, Event: contract.EventSubmitted, Status: contract.StatusPending,
		Chain: w.Chain, Symbol: w.Symbol, Amount: deref(w.Amount), ToAddress: deref(w.ToAddress),
		FromAddress: deref(w.FromAddress), TxHash: s.TxHash,
	})
	if err != nil {
		return err
	}
	if err := tx.Model(w).Update("submitted_body", body).Error; err != nil {
		return fmt.Errorf("store submitted notice of %s: %w", w.RequestID, err)
	}
	msgs, err := events.Return{RequestID: w.RequestID, CallbackURL: w.CallbackURL,
		MessageID: w.RequestID + ":" + contract.EventSubmitted, Body: body}.Messages(h.Keys, h.Names.Exchange, h.Names.Withdraw())
	if err != nil {
		return err
	}
	return outbox.Add(tx, msgs...)
}

// Final stores and queues the final answer, once, with an operator alert when
// the withdrawal failed after its transaction was sent.
func (h *Hooks) Final(_ context.Context, tx *gorm.DB, s *txsender.Send) error {
	w, err := store.Lock(tx, s.Ref)
	if err != nil {
		return err
	}
	if w == nil {
		return fmt.Errorf("send %s: no withdrawal %s", s.Key, s.Ref)
	}
	if w.FinalBody != nil {
		return nil
	}
	out := returns.Withdraw{RequestID: w.RequestID, Event: contract.EventWithdraw, Chain: w.Chain, Symbol: w.Symbol,
		Amount: deref(w.Amount), ToAddress: deref(w.ToAddress), FromAddress: deref(w.FromAddress)}
	switch s.State {
	case txsender.StateConfirmed:
		out.Status = contract.StatusSuccess
	case txsender.StateReverted:
		out.Status, out.Error, out.Message = contract.StatusFailed, contract.ErrReverted, "the transfer was mined but reverted: no tokens moved"
	case txsender.StateNotMoved:
		// Mined with status 1, but the token returned false instead of
		// reverting: no Transfer event, nothing moved.
		out.Status, out.Error, out.Message = contract.StatusFailed, contract.ErrReverted, notMovedMessage
	default:
		out.Status, out.Error, out.Message = contract.StatusFailed, contract.ErrInternal, "the transaction could not be mined: no tokens moved"
	}
	if s.MinedHash != nil {
		out.TxHash, out.BlockNumber, out.Fee = *s.MinedHash, s.BlockNumber, s.FeeETH()
	}
	body, err := h.Sealer.Seal(out)
	if err != nil {
		return err
	}
	upd := map[string]any{"state": store.StateDone, "status": out.Status, "final_body": body}
	if out.Error != "" {
		upd["error"] = out.Error
	}
	if err := tx.Model(w).Updates(upd).Error; err != nil {
		return fmt.Errorf("store final answer of %s: %w", w.RequestID, err)
	}
	if h.OnFinal != nil {
		h.OnFinal(out.Status)
	}
	msgs, err := events.Return{RequestID: w.RequestID, CallbackURL: w.CallbackURL,
		MessageID: w.RequestID + ":" + contract.EventWithdraw, Body: body}.Messages(h.Keys, h.Names.Exchange, h.Names.Withdraw())
	if err != nil {
		return err
	}
	log := h.Log.With().Str("request_id", w.RequestID).Str("tx_hash", out.TxHash).Logger()
	if out.Status == contract.StatusFailed {
		kind, text := events.AlertPayoutFailed, fmt.Sprintf("withdrawal %s failed (%s) after its transaction %s was sent", w.RequestID, out.Error, s.TxHash)
		if s.State == txsender.StateNotMoved {
			kind, text = events.AlertTokensNotMoved, fmt.Sprintf("withdrawal %s failed: its transaction %s was mined but the token %s moved nothing (%s)",
				w.RequestID, out.TxHash, s.To, deref(s.LastError))
		}
		alert, err := Alert(h.Keys, kind, w.RequestID, w.RequestID, text, time.Now())
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

// notMovedMessage is the message of the final answer of a withdrawal whose
// transfer was mined without moving the tokens.
const notMovedMessage = "the transfer was mined but the token moved nothing (no Transfer event: it returned false instead of reverting): no tokens moved"

// Alert is the outbox message of an operator alert of kind about requestID,
// sealed with keys: the other services act only on what the suite sent.
func Alert(keys events.Keys, kind, key, requestID, message string, at time.Time) (outbox.Message, error) {
	return keys.Alert("alert:"+kind+":withdraw:"+requestID,
		events.Alert{Kind: kind, Key: key, Service: "withdraw", Message: message, At: at.Unix()})
}

// Committed wakes the outbox relay.
func (h *Hooks) Committed() { h.OnCommit() }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
