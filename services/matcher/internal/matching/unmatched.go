package matching

import (
	"fmt"
	"time"

	"gorm.io/gorm"

	"paysuite/pkg/events"
	"paysuite/pkg/outbox"
	"paysuite/services/matcher/internal/store"
)

// recordUnmatched keeps a transfer no order claims and alerts the operators.
func (h *Handler) recordUnmatched(tx *gorm.DB, id string, ev events.Transfer, reason string, res *result) error {
	res.unmatched = reason
	if err := store.SaveUnmatched(tx, store.Unmatched{
		TransferID: id, Chain: ev.Chain, Symbol: ev.Symbol, Token: ev.Token, ToAddress: ev.To, FromAddress: ev.From,
		TxHash: ev.TxHash, LogIndex: ev.LogIndex, Amount: ev.Amount, BlockNumber: ev.BlockNumber,
		State: unmatchedState(ev.Kind), Seq: ev.Sequence, Reason: reason,
	}); err != nil {
		return err
	}
	alert, err := h.alertMessage(events.Alert{Kind: AlertUnmatchedTransfer, Key: ev.To, Chain: ev.Chain, Service: "matcher",
		Message: fmt.Sprintf("transfer %s of %s %s to %s matches no order: %s", id,
			FormatBase(ev.Amount, ev.Decimals), ev.Symbol, ev.To, reason),
		At: time.Now().Unix()}, id, ev.Sequence)
	if err != nil {
		return err
	}
	res.published = true
	return outbox.Add(tx, alert)
}

// updateUnmatched follows the life of an unmatched transfer.
func (h *Handler) updateUnmatched(tx *gorm.DB, un *store.Unmatched, ev events.Transfer, res *result) error {
	if ev.Sequence <= un.Seq {
		res.stale = true
		return nil
	}
	res.unmatched = un.Reason
	un.Seq, un.BlockNumber = ev.Sequence, ev.BlockNumber
	if !(un.State == store.PaymentConfirmed && ev.Kind == events.KindRemoved) {
		un.State = unmatchedState(ev.Kind)
	}
	return store.SaveUnmatched(tx, *un)
}

func unmatchedState(kind string) string {
	switch kind {
	case events.KindConfirmed:
		return store.PaymentConfirmed
	case events.KindRemoved:
		return store.PaymentRemoved
	}
	return store.PaymentSeen
}
