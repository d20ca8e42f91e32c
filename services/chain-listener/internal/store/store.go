// Package store persists the chain-listener's state in its own MySQL schema: per
// chain, the scan cursor, recent block hashes for reorg detection, watched
// addresses, transfers and rescans; and the outbox.
package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"gorm.io/gorm"

	"paysuite/pkg/db"
	"paysuite/pkg/outbox"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are the schema's versioned migrations, with the outbox table's
// (0000) taken from pkg/outbox.
func Migrations() fs.FS { return db.Migrations(migrations, "migrations", outbox.Migrations()) }

// Transfer statuses.
const (
	StatusSeen      = "seen"
	StatusConfirmed = "confirmed"
	StatusRemoved   = "removed"
)

// Cursor is the last block the scanner of Chain has processed, on the chain
// named by its genesis.
type Cursor struct {
	Chain       string `gorm:"column:chain;primaryKey"`
	GenesisHash string `gorm:"column:genesis_hash"`
	BlockNumber uint64 `gorm:"column:block_number"`
	BlockHash   string `gorm:"column:block_hash"`
}

// TableName maps Cursor to its table.
func (Cursor) TableName() string { return "cursor_state" }

// Block is a processed block kept for reorg detection.
type Block struct {
	Chain      string `gorm:"column:chain;primaryKey"`
	Number     uint64 `gorm:"column:number;primaryKey;autoIncrement:false"`
	Hash       string `gorm:"column:hash"`
	ParentHash string `gorm:"column:parent_hash"`
}

// Watched is an address whose incoming transfers are reported to its owner.
type Watched struct {
	ID      uint64 `gorm:"column:id;primaryKey"`
	Chain   string `gorm:"column:chain"`
	Address string `gorm:"column:address"`
	Owner   string `gorm:"column:owner"`
	// FromBlock is the first block in which its transfers must be found, as
	// registered; nil when the registration did not say.
	FromBlock       *uint64 `gorm:"column:from_block"`
	BackfillPending bool    `gorm:"column:backfill_pending"`
	// BackfillNext..BackfillTo are the blocks the backfill has still to look
	// through, set when the scanner takes the address up.
	BackfillNext *uint64 `gorm:"column:backfill_next"`
	BackfillTo   *uint64 `gorm:"column:backfill_to"`
}

// TableName maps Watched to its table.
func (Watched) TableName() string { return "watched" }

// Transfer is one Transfer log into a watched address and how far it has been reported.
type Transfer struct {
	ID          string `gorm:"column:id;primaryKey"`
	Chain       string `gorm:"column:chain"`
	Symbol      string `gorm:"column:symbol"`
	Token       string `gorm:"column:token"`
	Decimals    int32  `gorm:"column:decimals"`
	TxHash      string `gorm:"column:tx_hash"`
	LogIndex    uint   `gorm:"column:log_index"`
	BlockNumber uint64 `gorm:"column:block_number"`
	BlockHash   string `gorm:"column:block_hash"`
	FromAddress string `gorm:"column:from_address"`
	ToAddress   string `gorm:"column:to_address"`
	Amount      string `gorm:"column:amount"`
	Owner       string `gorm:"column:owner"`
	Status      string `gorm:"column:status"`
	Seq         uint64 `gorm:"column:seq"`
}

// Schema is the listener's schema, every chain's rows.
type Schema struct{ db *gorm.DB }

// New wraps an open database.
func New(db *gorm.DB) *Schema { return &Schema{db: db} }

// Chain is the store of the chain called name: its rows only.
func (s *Schema) Chain(name string) *Store { return &Store{db: s.db, chain: name} }

// Store reads and writes the rows of one chain.
type Store struct {
	db    *gorm.DB
	chain string
}

// DB exposes the handle for transactions run by the scanner.
func (s *Store) DB() *gorm.DB { return s.db }

// Wrap gives the store's operations on an open transaction.
func (s *Store) Wrap(tx *gorm.DB) Tx { return Tx{tx: tx, chain: s.chain} }

// rows scopes a query to the chain's rows.
func (s *Store) rows(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Where("chain = ?", s.chain)
}

// LoadCursor returns the cursor, or nil on a fresh schema.
func (s *Store) LoadCursor(ctx context.Context) (*Cursor, error) {
	c, err := db.FirstOrNil[Cursor](s.rows(ctx))
	if err != nil {
		return nil, fmt.Errorf("load the cursor of %s: %w", s.chain, err)
	}
	return c, nil
}

// ResetChainState forgets everything learnt from a chain (used when a development
// chain was restarted from genesis); watched addresses are kept and re-backfilled.
func (s *Store) ResetChainState(ctx context.Context) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, q := range []string{"DELETE FROM cursor_state WHERE chain = ?", "DELETE FROM blocks WHERE chain = ?",
			"DELETE FROM transfers WHERE chain = ?",
			// The new chain is looked through from its start (bounded by the backfill's maximum).
			"UPDATE watched SET backfill_pending = 1, from_block = 0, backfill_next = NULL, backfill_to = NULL WHERE chain = ?"} {
			if err := tx.Exec(q, s.chain).Error; err != nil {
				return fmt.Errorf("reset chain state: %w", err)
			}
		}
		return nil
	})
}

// EachWatched calls fn for every watched address, reading in pages by id.
func (s *Store) EachWatched(ctx context.Context, fn func(address, owner string)) error {
	var last uint64
	for {
		var page []Watched
		err := s.rows(ctx).Select("id", "address", "owner").Where("id > ?", last).
			Order("id").Limit(20000).Find(&page).Error
		if err != nil {
			return fmt.Errorf("load watched addresses: %w", err)
		}
		for _, w := range page {
			fn(w.Address, w.Owner)
		}
		if len(page) < 20000 {
			return nil
		}
		last = page[len(page)-1].ID
	}
}

// StoredBlock returns the processed block at number, if still kept.
func (s *Store) StoredBlock(ctx context.Context, number uint64) (*Block, error) {
	b, err := db.FirstOrNil[Block](s.rows(ctx).Where("number = ?", number))
	if err != nil {
		return nil, fmt.Errorf("load block %d: %w", number, err)
	}
	return b, nil
}

// StoredHashes returns the kept block hashes for numbers in from..to.
func (s *Store) StoredHashes(ctx context.Context, from, to uint64) (map[uint64]string, error) {
	var rows []Block
	if err := s.rows(ctx).Where("number BETWEEN ? AND ?", from, to).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load blocks %d..%d: %w", from, to, err)
	}
	out := make(map[uint64]string, len(rows))
	for _, b := range rows {
		out[b.Number] = b.Hash
	}
	return out, nil
}

// CountTransfers counts transfers by status, for tests and operators.
func (s *Store) CountTransfers(ctx context.Context, status string) (int64, error) {
	var n int64
	err := s.rows(ctx).Model(&Transfer{}).Where("status = ?", status).Count(&n).Error
	return n, err
}
