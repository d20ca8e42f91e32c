package scanner

import (
	"fmt"

	"gorm.io/gorm"

	"paysuite/pkg/events"
	"paysuite/pkg/outbox"
	"paysuite/services/chain-listener/internal/store"
)

// eventWriter gathers the transfer events of one transaction, sealed with the
// suite's internal keys (an owner believes no unauthenticated transfer), and
// writes them to the outbox in the same transaction.
type eventWriter struct {
	opts     Options
	onCommit func()
	pending  []outbox.Message
	err      error
}

func (w *eventWriter) reset() {
	w.pending = w.pending[:0]
	w.err = nil
}

var kindOf = map[string]string{
	store.StatusSeen:      events.KindSeen,
	store.StatusConfirmed: events.KindConfirmed,
	store.StatusRemoved:   events.KindRemoved,
}

// add queues the event announcing that row reached status, seen from tip.
func (w *eventWriter) add(row *store.Transfer, status string, tip uint64) {
	var confirmations uint64
	if status != store.StatusRemoved && tip >= row.BlockNumber {
		confirmations = tip - row.BlockNumber + 1
	}
	ev := events.Transfer{
		Kind:          kindOf[status],
		Chain:         w.opts.Chain,
		Symbol:        row.Symbol,
		Token:         row.Token,
		Decimals:      row.Decimals,
		TxHash:        row.TxHash,
		LogIndex:      row.LogIndex,
		BlockNumber:   row.BlockNumber,
		BlockHash:     row.BlockHash,
		From:          row.FromAddress,
		To:            row.ToAddress,
		Amount:        row.Amount,
		Confirmations: confirmations,
		Sequence:      row.Seq,
	}
	msg, err := w.opts.Keys.Message(events.TransferKey(row.Owner), fmt.Sprintf("%s:%d", row.ID, row.Seq), ev)
	if err != nil {
		w.err = fmt.Errorf("seal transfer event %s: %w", row.ID, err)
		return
	}
	w.pending = append(w.pending, msg)
}

// flush writes the gathered events; it reports whether there were any.
func (w *eventWriter) flush(tx *gorm.DB) (bool, error) {
	if w.err != nil || len(w.pending) == 0 {
		return false, w.err
	}
	if err := outbox.Add(tx, w.pending...); err != nil {
		w.err = err
		return false, err
	}
	return true, nil
}
