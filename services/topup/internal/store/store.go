// Package store persists topup's registrations and deposits in its own schema.
package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are the schema's versioned migrations.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the embedded directory is fixed at build time
	}
	return sub
}

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
}

// Deposit is the last reported state of one transfer into a registered address.
type Deposit struct {
	DepositID   string `gorm:"column:deposit_id;primaryKey"`
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

// ByAddress finds the registration watching address, or nil.
func (s *Store) ByAddress(ctx context.Context, address string) (*Registration, error) {
	return s.first(ctx, "address = ?", address)
}

func (s *Store) first(ctx context.Context, where string, arg any) (*Registration, error) {
	var r Registration
	err := s.db.WithContext(ctx).Where(where, arg).First(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find registration: %w", err)
	}
	return &r, nil
}

// LockDeposit loads a deposit for update inside tx, or nil.
func LockDeposit(tx *gorm.DB, depositID string) (*Deposit, error) {
	var d Deposit
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("deposit_id = ?", depositID).First(&d).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lock deposit %s: %w", depositID, err)
	}
	return &d, nil
}
