package scanner

import (
	"context"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"paysuite/services/chain-listener/internal/store"
)

// rescan works through the operators' pending rescans: it reads the transfer
// logs of each range again, in batches, and reports those to watched
// addresses that were never reported (a transfer already on record is
// skipped by applySeen), so a rescan only adds what was missed. Blocks above
// the cursor are left to the normal scan.
func (s *Scanner) rescan(ctx context.Context) error {
	pending, err := s.store.PendingRescans(ctx, 10)
	if err != nil {
		return err
	}
	for _, r := range pending {
		if err := s.rescanOne(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

func (s *Scanner) rescanOne(ctx context.Context, r store.Rescan) error {
	tip := s.cursor.BlockNumber
	last := min(r.ToBlock, tip)
	from := max(r.NextBlock, r.FromBlock, 1)
	var total uint64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if from > last {
			// Nothing (more) at or below the cursor: done.
			err := s.inTx(ctx, func(tx store.Tx) error { return tx.AdvanceRescan(r.ID, r.ToBlock+1, 0, true) })
			if err != nil {
				return err
			}
			s.log.Info().Uint64("rescan_id", r.ID).Uint64("from", r.FromBlock).Uint64("to", r.ToBlock).
				Uint64("cursor", tip).Uint64("reported", total).Msg("rescan done")
			return nil
		}
		to := min(from+s.opts.BatchBlocks-1, last)
		logs, err := s.canonicalLogs(ctx, from, to, nil)
		if err != nil {
			return err
		}
		logs = s.filterWatched(logs, tip)
		var found int
		err = s.inTx(ctx, func(tx store.Tx) error {
			n, err := s.applySeenCount(tx, logs, tip)
			if err != nil {
				return err
			}
			found = n
			return tx.AdvanceRescan(r.ID, to+1, uint64(n), false)
		})
		if err != nil {
			return err
		}
		if found > 0 {
			s.log.Warn().Uint64("rescan_id", r.ID).Uint64("from", from).Uint64("to", to).Int("transfers", found).
				Msg("rescan reported transfers that had been missed")
		}
		total += uint64(found)
		from = to + 1
	}
}

// canonicalLogs returns the token transfer logs of from..to (with
// recipients, only those to one of them) that belong to the fork the scanner
// followed. Blocks still kept are compared by hash; older ones were pruned
// long past the confirmation depth and are taken as final.
func (s *Scanner) canonicalLogs(ctx context.Context, from, to uint64, recipients []common.Address) ([]types.Log, error) {
	found, err := s.chain.TransferLogs(ctx, from, to, s.opts.Tokens.Addresses(), recipients)
	if err != nil {
		return nil, err
	}
	kept, err := s.store.StoredHashes(ctx, from, to)
	if err != nil {
		return nil, err
	}
	out := found[:0]
	for _, l := range found {
		if h, ok := kept[l.BlockNumber]; ok && h != l.BlockHash.Hex() {
			continue // another fork; the reorg handling reconciles it
		}
		out = append(out, l)
	}
	return out, nil
}
