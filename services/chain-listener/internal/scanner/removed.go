package scanner

import (
	"fmt"
	"strings"
	"time"

	"paysuite/pkg/events"
	"paysuite/services/chain-listener/internal/store"
)

// maxListedTransfers bounds the transfer ids an alert names.
const maxListedTransfers = 10

// removeConfirmed handles the transfers already reported confirmed in the
// blocks above fork, which a reorganisation of depth blocks just dropped:
// deeper than the confirmation depth, so it should never happen. Each is
// reported removed to its owner, which keeps it confirmed and raises its
// own alert with its request; and one operator alert names them all. A
// transfer mined again is reported anew from seen.
func (s *Scanner) removeConfirmed(tx store.Tx, fork, depth uint64) error {
	confirmed, err := tx.TransfersWithStatus(store.StatusConfirmed, fork+1, s.cursor.BlockNumber)
	if err != nil || len(confirmed) == 0 {
		return err
	}
	ids := make([]string, len(confirmed))
	for i := range confirmed {
		ids[i] = confirmed[i].ID
		s.log.Error().Str("deposit_id", ids[i]).Str("owner", confirmed[i].Owner).Uint64("depth", depth).
			Msg("a confirmed transfer left the canonical chain: the reorganisation is deeper than the confirmation depth")
		confirmed[i].Status, confirmed[i].Seq = store.StatusRemoved, confirmed[i].Seq+1
		s.events.add(&confirmed[i], store.StatusRemoved, fork)
	}
	if err := tx.SetStatus(ids, store.StatusRemoved); err != nil {
		return err
	}
	listed := ids[:min(len(ids), maxListedTransfers)]
	more := ""
	if len(ids) > len(listed) {
		more = fmt.Sprintf(" and %d more", len(ids)-len(listed))
	}
	a := events.Alert{Kind: events.AlertConfirmedRemoved, Key: s.opts.Chain, Chain: s.opts.Chain, Service: "chain-listener", At: time.Now().Unix(),
		Message: fmt.Sprintf("a reorganisation of %d blocks on %s (above block %d) removed %d transfer(s) already reported "+
			"confirmed at %d confirmations: %s%s. Their owners were told; nothing reported confirmed is undone. "+
			"Check whether the funds arrived again, and CONFIRMATIONS.",
			depth, s.opts.Chain, fork, len(ids), s.opts.Confirmations, strings.Join(listed, ", "), more)}
	msg, err := s.opts.Keys.Alert(fmt.Sprintf("alert:%s:%s:%d:%s", a.Kind, s.opts.Chain, fork, ids[0]), a)
	if err != nil {
		return fmt.Errorf("seal the confirmed-removed alert: %w", err)
	}
	s.events.pending = append(s.events.pending, msg)
	return nil
}
