// Package scanner follows the chain block by block, matches ERC-20 transfers
// against the watched addresses, detects reorganisations by parent hash, and
// records every transfer's stages (seen, confirmed, removed) together with the
// events announcing them in one transaction per block range.
package scanner

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/config/onchain"
	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/tokens"
	"paysuite/services/chain-listener/internal/chain"
	"paysuite/services/chain-listener/internal/store"
	"paysuite/services/chain-listener/internal/watchset"
)

// Chain is what the scanner reads from the node.
type Chain interface {
	Head(ctx context.Context) (uint64, error)
	Blocks(ctx context.Context, from, to uint64) ([]chain.BlockRef, error)
	TransferLogs(ctx context.Context, from, to uint64, tokens, recipients []common.Address) ([]types.Log, error)
	// Finalized returns the number of the node's "finalized" block.
	Finalized(ctx context.Context) (uint64, error)
}

// Fencer guards each transaction so that only the leader commits.
type Fencer interface {
	Fence(tx *gorm.DB) error
}

// Options configure a scanner.
type Options struct {
	Chain         string
	Confirmations uint64
	// Finality is onchain.FinalityConfirmations (a transfer is confirmed
	// Confirmations blocks deep) or onchain.FinalityFinalized (once the
	// node's finalized block has reached it).
	Finality    string
	Tokens      tokens.List
	BatchBlocks uint64
	// Backfill is how far back from the cursor an address registered without
	// a from block is looked for.
	Backfill uint64
	// MaxBackfill bounds how far back from the cursor any address is looked for.
	MaxBackfill uint64
	// BackfillChunk is the most blocks one backfill request covers; a Step
	// makes one, so a long backfill never holds up the scan of new blocks.
	BackfillChunk uint64
	// Start is the first block to scan on a fresh schema; nil means the current head.
	Start *uint64
	// DevMode lets a chain restarted from genesis reset the stored state.
	DevMode bool
	// Keys seal the transfer events.
	Keys events.Keys
}

// ErrReorgTooDeep means the chain changed below the blocks kept for comparison.
var ErrReorgTooDeep = errors.New("reorganisation deeper than the kept blocks")

// Scanner is the single-writer chain follower; only the leader replica runs Step.
type Scanner struct {
	chain  Chain
	store  *store.Store
	fence  Fencer
	opts   Options
	log    zerolog.Logger
	events *eventWriter

	loaded  bool
	genesis string
	cursor  store.Cursor
	// finalized is the node's finalized block at the last look (finality
	// FinalityFinalized only).
	finalized uint64
	set       *watchset.Set
	// progress mirrors cursor.BlockNumber for readers on other goroutines.
	progress atomic.Uint64
	// backfilling is set while backfills may have blocks left to look through.
	backfilling atomic.Bool
}

// New builds a scanner; onCommit is called after each commit that wrote events.
func New(c Chain, st *store.Store, fence Fencer, opts Options, log zerolog.Logger, onCommit func()) *Scanner {
	return &Scanner{chain: c, store: st, fence: fence, opts: opts, log: log,
		events: &eventWriter{opts: opts, onCommit: onCommit}}
}

// Reset drops the in-memory state; the next Step reloads it from the database.
// Called when leadership is lost, as another replica may have moved on.
func (s *Scanner) Reset() {
	s.loaded = false
	s.set = nil
}

// Watched returns the number of addresses held in memory.
func (s *Scanner) Watched() int {
	if s.set == nil {
		return 0
	}
	return s.set.Len()
}

// Cursor returns the last processed block number; safe on any goroutine.
func (s *Scanner) Cursor() uint64 { return s.progress.Load() }

// Backfilling reports whether backfills may have blocks left to look
// through: the caller should step again at once rather than wait for a block.
func (s *Scanner) Backfilling() bool { return s.backfilling.Load() }

// setCursor moves the in-memory cursor (after the commit that stored it).
func (s *Scanner) setCursor(c store.Cursor) {
	s.cursor = c
	s.progress.Store(c.BlockNumber)
}

// Step loads new watched addresses, backfills them, and scans up to the head.
// It returns the head it reached.
func (s *Scanner) Step(ctx context.Context) (uint64, error) {
	if !s.loaded {
		if err := s.load(ctx); err != nil {
			return 0, err
		}
	}
	if s.opts.Finality == onchain.FinalityFinalized {
		final, err := s.chain.Finalized(ctx)
		if err != nil {
			return 0, fmt.Errorf("read the finalized block: %w", err)
		}
		s.finalized = final
	}
	if err := s.takeUpBackfills(ctx); err != nil {
		return 0, err
	}
	if err := s.backfillChunk(ctx); err != nil {
		return 0, err
	}
	if err := s.rescan(ctx); err != nil {
		return 0, err
	}
	head, err := s.chain.Head(ctx)
	if err != nil {
		return 0, fmt.Errorf("read head: %w", err)
	}
	for s.cursor.BlockNumber < head {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if err := s.scanRange(ctx, head); err != nil {
			return 0, err
		}
	}
	return head, nil
}

func (s *Scanner) load(ctx context.Context) error {
	genesis, err := s.chain.Blocks(ctx, 0, 0)
	if err != nil {
		return err
	}
	s.genesis = genesis[0].Hash.Hex()
	cur, err := s.store.LoadCursor(ctx)
	if err != nil {
		return err
	}
	if cur != nil && cur.GenesisHash != s.genesis {
		if !s.opts.DevMode {
			return fmt.Errorf("the node serves another chain (genesis %s) than the stored state (genesis %s)", s.genesis, cur.GenesisHash)
		}
		s.log.Warn().Str("genesis", s.genesis).Msg("development chain restarted from genesis: resetting the listener's chain state")
		if err := s.store.ResetChainState(ctx); err != nil {
			return err
		}
		cur = nil
	}
	if cur == nil {
		if cur, err = s.initCursor(ctx); err != nil {
			return err
		}
	}
	s.setCursor(*cur)
	set := watchset.New(1024)
	err = s.store.EachWatched(ctx, func(address, owner string) {
		set.Add(common.HexToAddress(address), owner)
	})
	if err != nil {
		return err
	}
	s.set = set
	s.loaded = true
	s.log.Info().Uint64("cursor", s.cursor.BlockNumber).Int("watched", set.Len()).Msg("scanner loaded")
	return nil
}

func (s *Scanner) initCursor(ctx context.Context) (*store.Cursor, error) {
	var start uint64
	if s.opts.Start != nil {
		start = *s.opts.Start
	} else {
		head, err := s.chain.Head(ctx)
		if err != nil {
			return nil, fmt.Errorf("read head: %w", err)
		}
		start = head
	}
	base := start
	if base > 0 {
		base--
	}
	refs, err := s.chain.Blocks(ctx, base, base)
	if err != nil {
		return nil, err
	}
	cur := store.Cursor{GenesisHash: s.genesis, BlockNumber: base, BlockHash: refs[0].Hash.Hex()}
	err = s.inTx(ctx, func(tx store.Tx) error {
		if err := tx.SaveBlocks([]store.Block{blockRow(refs[0])}); err != nil {
			return err
		}
		return tx.SetCursor(cur)
	})
	if err != nil {
		return nil, err
	}
	return &cur, nil
}

func (s *Scanner) inTx(ctx context.Context, fn func(tx store.Tx) error) error {
	wrote := false
	err := s.store.DB().WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.fence.Fence(tx); err != nil {
			return err
		}
		s.events.reset()
		if err := fn(s.store.Wrap(tx)); err != nil {
			return err
		}
		wrote, _ = s.events.flush(tx)
		return s.events.err
	})
	if err == nil && wrote {
		s.events.onCommit()
	}
	return err
}

// scanRange processes the next batch of blocks up to head.
func (s *Scanner) scanRange(ctx context.Context, head uint64) error {
	from := s.cursor.BlockNumber + 1
	to := min(from+s.opts.BatchBlocks-1, head)
	refs, err := s.chain.Blocks(ctx, from, to)
	if err != nil {
		return err
	}
	if refs[0].Parent.Hex() != s.cursor.BlockHash {
		return s.handleReorg(ctx)
	}
	for i := 1; i < len(refs); i++ {
		if refs[i].Parent != refs[i-1].Hash {
			refs = refs[:i] // the node reorganised while we read; take the linked prefix
			break
		}
	}
	to = refs[len(refs)-1].Number
	logs, err := s.chain.TransferLogs(ctx, from, to, s.opts.Tokens.Addresses(), nil)
	if err != nil {
		return err
	}
	hashAt := make(map[uint64]common.Hash, len(refs))
	for _, r := range refs {
		hashAt[r.Number] = r.Hash
	}
	matched := make([]types.Log, 0, 16)
	for _, l := range logs {
		if l.BlockHash != hashAt[l.BlockNumber] {
			// The logs come from a different fork than the headers: keep the blocks
			// before it and read the rest again on the next round.
			cut := l.BlockNumber - from
			if cut == 0 {
				return nil
			}
			refs = refs[:cut]
			to = refs[len(refs)-1].Number
			break
		}
		matched = append(matched, l)
	}
	matched = s.filterWatched(matched, to)

	last := refs[len(refs)-1]
	err = s.inTx(ctx, func(tx store.Tx) error {
		rows := make([]store.Block, len(refs))
		for i, r := range refs {
			rows[i] = blockRow(r)
		}
		if err := tx.SaveBlocks(rows); err != nil {
			return err
		}
		if err := s.applySeen(tx, matched, to); err != nil {
			return err
		}
		if err := s.confirm(tx, to); err != nil {
			return err
		}
		if keep := s.keepBlocks(); to > keep {
			below := to - keep
			if s.opts.Finality == onchain.FinalityFinalized {
				below = min(below, s.finalized) // what is not final yet may still be reorganised
			}
			if err := tx.PruneBlocksBelow(below); err != nil {
				return err
			}
		}
		return tx.SetCursor(store.Cursor{GenesisHash: s.genesis, BlockNumber: to, BlockHash: last.Hash.Hex()})
	})
	if err != nil {
		return err
	}
	s.setCursor(store.Cursor{GenesisHash: s.genesis, BlockNumber: to, BlockHash: last.Hash.Hex()})
	if len(matched) > 0 {
		s.log.Debug().Uint64("from", from).Uint64("to", to).Int("transfers", len(matched)).Msg("scanned")
	}
	return nil
}

// keepBlocks is how many recent blocks are kept to find the fork point of a reorg.
func (s *Scanner) keepBlocks() uint64 {
	return max(2*s.opts.Confirmations, s.opts.Backfill) + 64
}

// filterWatched keeps logs that are well-formed transfers of a non-zero
// amount to a watched address.
func (s *Scanner) filterWatched(logs []types.Log, _ uint64) []types.Log {
	out := logs[:0]
	for _, l := range logs {
		if len(l.Topics) != 3 || len(l.Data) != 32 {
			continue // not an ERC-20 Transfer (ERC-721 has three indexed arguments)
		}
		if zero(l.Data) {
			continue // moves nothing, and anyone can emit Transfer(x, you, 0): never a deposit or a payment
		}
		if _, ok := s.set.Owner(common.BytesToAddress(l.Topics[2].Bytes())); ok {
			out = append(out, l)
		}
	}
	return out
}

// applySeen records new transfers (and ones that reappear after a reorg) as seen,
// and as confirmed at once when they are already deep enough.
func (s *Scanner) applySeen(tx store.Tx, logs []types.Log, tip uint64) error {
	_, err := s.applySeenCount(tx, logs, tip)
	return err
}

// applySeenCount is applySeen that also tells how many transfers it reported.
func (s *Scanner) applySeenCount(tx store.Tx, logs []types.Log, tip uint64) (int, error) {
	if len(logs) == 0 {
		return 0, nil
	}
	ids := make([]string, len(logs))
	for i, l := range logs {
		ids[i] = contract.DepositID(s.opts.Chain, l.TxHash.Hex(), l.Index)
	}
	existing, err := tx.TransfersByID(ids)
	if err != nil {
		return 0, err
	}
	reported := 0
	var fresh []*store.Transfer
	for i, l := range logs {
		row := existing[ids[i]]
		if row != nil && row.Status != store.StatusRemoved {
			continue // already reported on this fork
		}
		isNew := row == nil
		reported++
		row = s.transferRow(ids[i], l, row)
		s.events.add(row, store.StatusSeen, tip)
		if final, ok := s.confirmedThrough(tip); ok && l.BlockNumber <= final {
			row.Status, row.Seq = store.StatusConfirmed, row.Seq+1
			s.events.add(row, store.StatusConfirmed, tip)
		}
		if isNew {
			fresh = append(fresh, row)
		} else if err := tx.SaveTransfer(row); err != nil {
			return 0, err
		}
	}
	return reported, tx.InsertTransfers(fresh)
}

func (s *Scanner) transferRow(id string, l types.Log, prev *store.Transfer) *store.Transfer {
	tok, _ := s.opts.Tokens.ByAddress(l.Address)
	to := common.BytesToAddress(l.Topics[2].Bytes())
	owner, _ := s.set.Owner(to)
	row := &store.Transfer{
		ID:          id,
		Symbol:      tok.Symbol,
		Token:       lower(l.Address.Hex()),
		Decimals:    tok.Decimals,
		TxHash:      lower(l.TxHash.Hex()),
		LogIndex:    l.Index,
		BlockNumber: l.BlockNumber,
		BlockHash:   lower(l.BlockHash.Hex()),
		FromAddress: lower(common.BytesToAddress(l.Topics[1].Bytes()).Hex()),
		ToAddress:   lower(to.Hex()),
		Amount:      new(big.Int).SetBytes(l.Data).String(),
		Owner:       owner,
		Status:      store.StatusSeen,
		Seq:         1,
	}
	if prev != nil {
		row.Seq = prev.Seq + 1
	}
	return row
}

// confirmedThrough is the newest block whose transfers count as confirmed
// with the scan at tip; none while ok is false.
func (s *Scanner) confirmedThrough(tip uint64) (block uint64, ok bool) {
	if s.opts.Finality == onchain.FinalityFinalized {
		return min(s.finalized, tip), s.finalized > 0
	}
	if tip+1 < s.opts.Confirmations {
		return 0, false
	}
	return tip + 1 - s.opts.Confirmations, true
}

// confirm moves seen transfers that reached the chain's finality at tip.
func (s *Scanner) confirm(tx store.Tx, tip uint64) error {
	final, ok := s.confirmedThrough(tip)
	if !ok {
		return nil
	}
	rows, err := tx.TransfersWithStatus(store.StatusSeen, 0, final)
	if err != nil || len(rows) == 0 {
		return err
	}
	return s.advance(tx, rows, store.StatusConfirmed, tip)
}

// advance moves rows to status, each with its next sequence number, and
// queues the event that reports each as of block.
func (s *Scanner) advance(tx store.Tx, rows []store.Transfer, status string, block uint64) error {
	ids := make([]string, len(rows))
	for i := range rows {
		ids[i] = rows[i].ID
		rows[i].Status, rows[i].Seq = status, rows[i].Seq+1
		s.events.add(&rows[i], status, block)
	}
	return tx.SetStatus(ids, status)
}

// handleReorg finds the highest kept block still on the canonical chain, reports
// the seen transfers above it as removed, and moves the cursor back to it.
func (s *Scanner) handleReorg(ctx context.Context) error {
	fork := s.cursor.BlockNumber
	for {
		stored, err := s.store.StoredBlock(ctx, fork)
		if err != nil {
			return err
		}
		if stored == nil {
			return fmt.Errorf("%w: no kept block at %d", ErrReorgTooDeep, fork)
		}
		canon, err := s.chain.Blocks(ctx, fork, fork)
		if err != nil {
			return err
		}
		if canon[0].Hash.Hex() == stored.Hash {
			break
		}
		if fork == 0 {
			return fmt.Errorf("%w: genesis differs", ErrReorgTooDeep)
		}
		fork--
	}
	forkBlock, err := s.store.StoredBlock(ctx, fork)
	if err != nil {
		return err
	}
	depth := s.cursor.BlockNumber - fork
	err = s.inTx(ctx, func(tx store.Tx) error {
		seen, err := tx.TransfersWithStatus(store.StatusSeen, fork+1, s.cursor.BlockNumber)
		if err != nil {
			return err
		}
		if err := s.advance(tx, seen, store.StatusRemoved, fork); err != nil {
			return err
		}
		if err := s.removeConfirmed(tx, fork, depth); err != nil {
			return err
		}
		if err := tx.DeleteBlocksAbove(fork); err != nil {
			return err
		}
		return tx.SetCursor(store.Cursor{GenesisHash: s.genesis, BlockNumber: fork, BlockHash: forkBlock.Hash})
	})
	if err != nil {
		return err
	}
	s.log.Warn().Uint64("fork_block", fork).Uint64("depth", depth).Msg("chain reorganisation handled")
	s.setCursor(store.Cursor{GenesisHash: s.genesis, BlockNumber: fork, BlockHash: forkBlock.Hash})
	return nil
}

func blockRow(r chain.BlockRef) store.Block {
	return store.Block{Number: r.Number, Hash: r.Hash.Hex(), ParentHash: r.Parent.Hex()}
}

func lower(s string) string { return strings.ToLower(s) }

func zero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
