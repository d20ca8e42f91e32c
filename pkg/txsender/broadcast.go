package txsender

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/core/types"
	"gorm.io/gorm"
)

// Broadcast sends the latest attempt of a stored send to the node and records
// it. Errors from the node are not returned: the tracker retries.
func (s *Sender) Broadcast(ctx context.Context, id uint64) error {
	send, att, err := s.load(ctx, id)
	if err != nil {
		return err
	}
	if send.Final() || send.State == StateIncluded {
		return nil
	}
	s.broadcast(ctx, send, att)
	return nil
}

// broadcast sends att and records the outcome on send.
func (s *Sender) broadcast(ctx context.Context, send *Send, att *Attempt) {
	sent, ok := s.send(ctx, send.Purpose, att)
	if !ok {
		return
	}
	err := s.transition(ctx, send, s.recordBroadcast(ctx, sent))
	s.logBroadcast(send, att, sent, err)
}

// BroadcastBatch is Broadcast for several stored sends: each one's latest
// attempt is sent to the node, in the order of ids, and what became of them
// all is recorded in one database transaction (hooks included) rather than
// one each. Errors from the node are not returned: the tracker retries.
func (s *Sender) BroadcastBatch(ctx context.Context, ids []uint64) error {
	if len(ids) == 0 {
		return nil
	}
	var loaded []Send
	if err := s.db.WithContext(ctx).Where("id IN ?", ids).Find(&loaded).Error; err != nil {
		return fmt.Errorf("load %d sends: %w", len(ids), err)
	}
	var atts []Attempt
	if err := s.db.WithContext(ctx).Where("send_id IN ?", ids).Order("id").Find(&atts).Error; err != nil {
		return fmt.Errorf("load attempts of %d sends: %w", len(ids), err)
	}
	latest := make(map[uint64]*Attempt, len(ids))
	for i := range atts {
		latest[atts[i].SendID] = &atts[i] // ordered by id: the last one wins
	}
	byID := make(map[uint64]*Send, len(loaded))
	for i := range loaded {
		byID[loaded[i].ID] = &loaded[i]
	}
	var sends []*Send
	var fns []func(*gorm.DB, *Send) error
	var done []sendResult
	var used []*Attempt
	for _, id := range ids {
		send, att := byID[id], latest[id]
		if send == nil || att == nil {
			s.log.Warn().Uint64("send_id", id).Msg("broadcast: no such send or attempt")
			continue
		}
		if send.Final() || send.State == StateIncluded {
			continue
		}
		sent, ok := s.send(ctx, send.Purpose, att)
		if !ok {
			continue
		}
		sends, fns, done, used = append(sends, send), append(fns, s.recordBroadcast(ctx, sent)), append(done, sent), append(used, att)
	}
	errs := s.transitionAll(ctx, sends, fns)
	for i, send := range sends {
		s.logBroadcast(send, used[i], done[i], errs[i])
	}
	return nil
}

// sendResult is the node's answer to one broadcast.
type sendResult struct {
	at     time.Time
	result broadcastResult
	err    error
}

// send sends att, an attempt of a send of purpose, to the node; ok is false
// when the stored transaction does not decode (logged).
func (s *Sender) send(ctx context.Context, purpose string, att *Attempt) (sendResult, bool) {
	s.crashPoint(CrashAfterSign, purpose)
	var tx types.Transaction
	if err := tx.UnmarshalBinary(att.Raw); err != nil {
		s.log.Error().Err(err).Str("tx_hash", att.TxHash).Msg("stored transaction does not decode")
		return sendResult{}, false
	}
	sendErr := s.node.SendTransaction(ctx, &tx)
	result := classify(sendErr)
	if result == sentOK {
		s.crashPoint(CrashAfterBroadcast, purpose)
	}
	return sendResult{at: time.Now().UTC(), result: result, err: sendErr}, true
}

// recordBroadcast is the transition that records a broadcast's outcome.
func (s *Sender) recordBroadcast(ctx context.Context, sent sendResult) func(*gorm.DB, *Send) error {
	return func(tx *gorm.DB, cur *Send) error {
		if cur.Final() || cur.State == StateIncluded {
			return errSkip
		}
		now := sent.at
		cur.LastBroadcastAt = &now
		switch sent.result {
		case sentOK:
			cur.LastError = nil
			if cur.State == StateSigned {
				cur.State = StatePending
				return s.markBroadcast(ctx, tx, cur, now)
			}
		default:
			msg := truncate(sent.err.Error(), 250)
			cur.LastError = &msg
		}
		return nil
	}
}

// logBroadcast logs a broadcast and the error recording it, if any.
func (s *Sender) logBroadcast(send *Send, att *Attempt, sent sendResult, err error) {
	log := s.log.With().Str("send", send.Key).Str("tx_hash", att.TxHash).Uint64("nonce", send.Nonce).Logger()
	switch {
	case err != nil && !errors.Is(err, errSkip):
		log.Warn().Err(err).Msg("record broadcast")
	case sent.result == sentOK:
		log.Debug().Msg("transaction broadcast")
	case sent.result == sentNonceUsed:
		log.Debug().Err(sent.err).Msg("nonce already used on chain; waiting for the receipt")
	default:
		log.Warn().Err(sent.err).Msg("node refused the transaction; will retry")
	}
}

// markBroadcast sets the first-broadcast time and calls the Broadcast hook.
func (s *Sender) markBroadcast(ctx context.Context, tx *gorm.DB, cur *Send, now time.Time) error {
	if cur.BroadcastAt != nil {
		return nil
	}
	cur.BroadcastAt = &now
	return s.hooks.Broadcast(ctx, tx, cur)
}
