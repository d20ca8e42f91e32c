// Package store persists topup's registrations and deposits in its own schema.
package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"paysuite/pkg/db"
	"paysuite/pkg/outbox"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are the schema's versioned migrations, with the outbox table's
// (0000) taken from pkg/outbox.
func Migrations() fs.FS { return db.Migrations(migrations, "migrations", outbox.Migrations()) }

// Registration is one topup request and the address it watches.
type Registration struct {
	ID          uint64  `gorm:"column:id;primaryKey"`
	RequestID   string  `gorm:"column:request_id"`
	Chain       string  `gorm:"column:chain"`
	Symbol      string  `gorm:"column:symbol"`
	Address     *string `gorm:"column:address"`
	Allocated   bool    `gorm:"column:allocated"`
	UserID      *string `gorm:"column:user_id"`
	CallbackURL *string `gorm:"column:callback_url"`
	// ReturnBody is the registered return, re-sent byte for byte on repeats.
	ReturnBody []byte `gorm:"column:return_body"`
	// Chains are the chains the registration covers, in configuration order:
	// Chain alone, or every chain of a registration for all of them. Set on
	// the registrations being inserted (CoverChains stores them), not read.
	Chains []string `gorm:"-"`
}

// Deposit is the last reported state of one transfer into a registered address.
type Deposit struct {
	DepositID   string `gorm:"column:deposit_id;primaryKey"`
	Chain       string `gorm:"column:chain"`
	RequestID   string `gorm:"column:request_id"`
	Address     string `gorm:"column:address"`
	Symbol      string `gorm:"column:symbol"`
	Amount      string `gorm:"column:amount"`
	Status      int    `gorm:"column:status"`
	Seq         uint64 `gorm:"column:seq"`
	TxHash      string `gorm:"column:tx_hash"`
	BlockNumber uint64 `gorm:"column:block_number"`
}

// Store reads and writes topup's schema.
type Store struct{ db *gorm.DB }

// New wraps an open database.
func New(db *gorm.DB) *Store { return &Store{db: db} }

// DB returns the handle for transactions.
func (s *Store) DB() *gorm.DB { return s.db }

// ByRequestID finds a registration, or nil.
func (s *Store) ByRequestID(ctx context.Context, requestID string) (*Registration, error) {
	return s.first(ctx, "request_id = ?", requestID)
}

// AnyRequestID reports whether any of requestIDs is registered.
func (s *Store) AnyRequestID(ctx context.Context, requestIDs []string) (bool, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&Registration{}).Where("request_id IN ?", requestIDs).Limit(1).Count(&n).Error; err != nil {
		return false, fmt.Errorf("look up %d request ids: %w", len(requestIDs), err)
	}
	return n > 0, nil
}

// InsertRegistrations inserts regs inside tx with one statement and sets their
// ids. The ids of several rows are read back rather than counted up from the
// first one: with interleaved auto-increment locking, or an increment above 1
// as on a replicated cluster, one statement's ids need not be consecutive, and
// an id is a derivation index. A single row's id is the insert's own.
func InsertRegistrations(tx *gorm.DB, regs []*Registration) error {
	if err := tx.Create(regs).Error; err != nil {
		return fmt.Errorf("insert %d registrations: %w", len(regs), err)
	}
	if len(regs) == 1 {
		return nil
	}
	byRequest := make(map[string]*Registration, len(regs))
	ids := make([]string, len(regs))
	for i, r := range regs {
		byRequest[r.RequestID], ids[i] = r, r.RequestID
		r.ID = 0
	}
	var rows []struct {
		ID        uint64
		RequestID string
	}
	if err := tx.Model(&Registration{}).Select("id", "request_id").Where("request_id IN ?", ids).Scan(&rows).Error; err != nil {
		return fmt.Errorf("read ids of %d registrations: %w", len(regs), err)
	}
	for _, row := range rows {
		byRequest[row.RequestID].ID = row.ID
	}
	for _, r := range regs {
		if r.ID == 0 {
			return fmt.Errorf("registration %s inserted but not found", r.RequestID)
		}
	}
	return nil
}

// SetAnswers stores the address and the signed answer of each registration
// inside tx, with one statement.
func SetAnswers(tx *gorm.DB, regs []*Registration) error {
	var q strings.Builder
	args := make([]any, 0, 5*len(regs))
	q.WriteString("UPDATE registrations SET address = CASE id")
	for _, r := range regs {
		q.WriteString(" WHEN ? THEN ?")
		args = append(args, r.ID, *r.Address)
	}
	q.WriteString(" END, return_body = CASE id")
	ids := make([]uint64, len(regs))
	for i, r := range regs {
		q.WriteString(" WHEN ? THEN ?")
		args = append(args, r.ID, r.ReturnBody)
		ids[i] = r.ID
	}
	q.WriteString(" END WHERE id IN ?")
	args = append(args, ids)
	res := tx.Exec(q.String(), args...)
	if res.Error != nil {
		return fmt.Errorf("store the answers of %d registrations: %w", len(regs), res.Error)
	}
	return nil
}

// CoverChains records, inside tx and with one statement, the chains each
// registration covers at its address (SetAnswers has given it one). An
// address registered on one of those chains already fails on the key.
func CoverChains(tx *gorm.DB, regs []*Registration) error {
	var q strings.Builder
	var args []any
	q.WriteString("INSERT INTO registration_chains (registration_id, chain, address) VALUES ")
	for _, r := range regs {
		for _, chain := range r.Chains {
			if len(args) > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?)")
			args = append(args, r.ID, chain, *r.Address)
		}
	}
	if len(args) == 0 {
		return fmt.Errorf("cover the chains of %d registrations: none names a chain", len(regs))
	}
	if err := tx.Exec(q.String(), args...).Error; err != nil {
		return fmt.Errorf("cover the chains of %d registrations: %w", len(regs), err)
	}
	return nil
}

func (s *Store) first(ctx context.Context, where string, arg any) (*Registration, error) {
	r, err := db.FirstOrNil[Registration](s.db.WithContext(ctx).Where(where, arg))
	if err != nil {
		return nil, fmt.Errorf("find registration: %w", err)
	}
	return r, nil
}

// ChainAddress is an address on one chain.
type ChainAddress struct{ Chain, Address string }

// ByChainAddresses finds the registrations covering any of keys, by key; a
// key without one is missing from the map.
func (s *Store) ByChainAddresses(ctx context.Context, keys []ChainAddress) (map[ChainAddress]*Registration, error) {
	pairs := make([][]any, len(keys))
	for i, k := range keys {
		pairs[i] = []any{k.Chain, k.Address}
	}
	var rows []struct {
		Registration `gorm:"embedded"`
		Covered      string `gorm:"column:covered"`
	}
	err := s.db.WithContext(ctx).Table("registration_chains AS c").Select("r.*, c.chain AS covered").
		Joins("JOIN registrations AS r ON r.id = c.registration_id").Where("(c.chain, c.address) IN ?", pairs).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find registrations of %d addresses: %w", len(keys), err)
	}
	byKey := make(map[ChainAddress]*Registration, len(rows))
	for _, r := range rows {
		byKey[ChainAddress{Chain: r.Covered, Address: *r.Address}] = &r.Registration
	}
	return byKey, nil
}

// LockDeposits loads the recorded deposits among ids for update inside tx, by
// deposit id; one statement locks them all, in key order.
func LockDeposits(tx *gorm.DB, ids []string) (map[string]*Deposit, error) {
	var rows []*Deposit
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("deposit_id IN ?", ids).Order("deposit_id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("lock %d deposits: %w", len(ids), err)
	}
	byID := make(map[string]*Deposit, len(rows))
	for _, d := range rows {
		byID[d.DepositID] = d
	}
	return byID, nil
}

// SaveDeposits writes deposits inside tx: created ones with a plain insert, so
// that a concurrent first insert of the same deposit fails on the key rather
// than being overwritten, and changed ones (locked by LockDeposits) in place.
func SaveDeposits(tx *gorm.DB, created, changed []*Deposit) error {
	if len(created) > 0 {
		if err := tx.Create(created).Error; err != nil {
			return fmt.Errorf("insert %d deposits: %w", len(created), err)
		}
	}
	if len(changed) > 0 {
		// The rows exist and are locked: the insert always turns into an update
		// of the row with the same key (deposit_id is the table's only unique key).
		upsert := clause.OnConflict{DoUpdates: clause.AssignmentColumns([]string{"status", "seq", "block_number"})}
		if err := tx.Clauses(upsert).Create(changed).Error; err != nil {
			return fmt.Errorf("update %d deposits: %w", len(changed), err)
		}
	}
	return nil
}
