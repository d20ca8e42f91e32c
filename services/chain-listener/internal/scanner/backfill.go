package scanner

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"paysuite/services/chain-listener/internal/store"
)

// backfillBatch is the most addresses taken up, or looked for in one
// request, at a time.
const backfillBatch = 500

// takeUpBackfills adds the addresses registered since the last step to the
// watched set, so the scan of new blocks reports their transfers from now on,
// and records for each the blocks up to the cursor still to look through:
// from the block its owner handed it out at (less a confirmation depth, for a
// chain that reorganised to a shorter branch meanwhile), or the last Backfill
// blocks for a registration that did not say; never more than MaxBackfill.
func (s *Scanner) takeUpBackfills(ctx context.Context) error {
	for {
		rows, err := s.store.NewBackfills(ctx, backfillBatch)
		if err != nil || len(rows) == 0 {
			return err
		}
		to := s.cursor.BlockNumber
		byStart := map[uint64][]uint64{}
		var done []uint64
		for _, w := range rows {
			s.set.Add(common.HexToAddress(w.Address), w.Owner)
			if start := s.backfillStart(w, to); start <= to {
				byStart[start] = append(byStart[start], w.ID)
			} else {
				done = append(done, w.ID)
			}
		}
		err = s.inTx(ctx, func(tx store.Tx) error {
			for start, ids := range byStart {
				if err := tx.SetBackfill(ids, start, to); err != nil {
					return err
				}
			}
			return tx.ClearBackfill(done)
		})
		if err != nil {
			return err
		}
		if len(byStart) > 0 {
			s.backfilling.Store(true)
		}
	}
}

// backfillStart is the first block to look through for the transfers of w,
// taken up when the cursor is at to.
func (s *Scanner) backfillStart(w store.Watched, to uint64) uint64 {
	var start uint64
	if w.FromBlock != nil {
		start = *w.FromBlock - min(*w.FromBlock, s.opts.Confirmations)
	} else {
		start = to + 1 - min(to, s.opts.Backfill)
	}
	if to >= s.opts.MaxBackfill && start < to+1-s.opts.MaxBackfill {
		floor := to + 1 - s.opts.MaxBackfill
		s.log.Warn().Str("address", w.Address).Uint64("from_block", start).Uint64("backfill_from", floor).
			Msg("address registered further back than WATCH_BACKFILL_MAX_BLOCKS: blocks before backfill_from are " +
				"not looked through (payctl rescan covers them)")
		start = floor
	}
	return max(start, 1)
}

// backfillChunk looks through the next chunk of the open backfills: from the
// lowest block any of them still needs, at most BackfillChunk blocks, for
// the addresses that need a block of it, in one request. Each address takes
// only the transfers of its own range and moves on past the chunk; one whose
// range is done leaves the backfill. Blocks above the cursor are never looked
// through here: a reorganisation may have moved the cursor back below a
// range, and the scan of new blocks covers them for every watched address.
func (s *Scanner) backfillChunk(ctx context.Context) error {
	rows, err := s.store.OpenBackfills(ctx, backfillBatch)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		s.backfilling.Store(false)
		return nil
	}
	s.backfilling.Store(true)
	tip := s.cursor.BlockNumber
	from := *rows[0].BackfillNext
	end := min(from+s.opts.BackfillChunk-1, tip)
	type span struct{ from, to uint64 }
	ranges := map[common.Address]span{}
	var done []uint64
	moved := map[span][]uint64{} // (next, backfill_to) to the ids moved there
	var last uint64
	for _, w := range rows {
		next, to := *w.BackfillNext, min(*w.BackfillTo, tip)
		switch {
		case next > to:
			done = append(done, w.ID)
		case next <= end:
			upto := min(to, end)
			ranges[common.HexToAddress(w.Address)] = span{next, upto}
			last = max(last, upto)
			if upto == to {
				done = append(done, w.ID)
			} else {
				moved[span{upto + 1, *w.BackfillTo}] = append(moved[span{upto + 1, *w.BackfillTo}], w.ID)
			}
		}
	}
	var logs []types.Log
	if len(ranges) > 0 {
		addrs := make([]common.Address, 0, len(ranges))
		for a := range ranges {
			addrs = append(addrs, a)
		}
		found, err := s.canonicalLogs(ctx, from, last, addrs)
		if err != nil {
			return err
		}
		for _, l := range found {
			if len(l.Topics) != 3 {
				continue
			}
			r, ok := ranges[common.BytesToAddress(l.Topics[2].Bytes())]
			if ok && l.BlockNumber >= r.from && l.BlockNumber <= r.to {
				logs = append(logs, l)
			}
		}
		logs = s.filterWatched(logs, tip)
	}
	err = s.inTx(ctx, func(tx store.Tx) error {
		if err := s.applySeen(tx, logs, tip); err != nil {
			return err
		}
		for sp, ids := range moved {
			if err := tx.SetBackfill(ids, sp.from, sp.to); err != nil {
				return err
			}
		}
		return tx.ClearBackfill(done)
	})
	if err != nil {
		return fmt.Errorf("backfill blocks %d..%d: %w", from, last, err)
	}
	if len(logs) > 0 {
		s.log.Info().Uint64("from", from).Uint64("to", last).Int("addresses", len(ranges)).Int("transfers", len(logs)).
			Msg("backfilled transfers into newly watched addresses")
	}
	return nil
}
