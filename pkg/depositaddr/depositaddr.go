// Package depositaddr is the record of the deposit addresses the suite
// allocated, as each service that acts on them keeps it in its own schema
// (table deposit_addresses), learned from topup's sealed announcements.
package depositaddr

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Address is one allocated deposit address on one chain, with its HD index
// (the same address may be allocated on several chains).
type Address struct {
	Address   string    `gorm:"column:address;primaryKey"` // lowercase 0x-hex
	Chain     string    `gorm:"column:chain;primaryKey"`
	Index     uint32    `gorm:"column:hd_index"`
	CreatedAt time.Time `gorm:"column:created_at"`
}

// TableName maps Address to its table.
func (Address) TableName() string { return "deposit_addresses" }

// Record stores rows, all or none; addresses already recorded stay as they
// are. T is Address, or a service's own model of the same table.
func Record[T any](ctx context.Context, db *gorm.DB, rows []T) error {
	if err := db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&rows).Error; err != nil {
		return fmt.Errorf("store %d deposit addresses: %w", len(rows), err)
	}
	return nil
}

// Known reports whether addr is a recorded deposit address on chain.
func Known(ctx context.Context, db *gorm.DB, chain string, addr common.Address) (bool, error) {
	var n int64
	err := db.WithContext(ctx).Model(&Address{}).
		Where("address = ? AND chain = ?", strings.ToLower(addr.Hex()), chain).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("find deposit address %s: %w", addr.Hex(), err)
	}
	return n > 0, nil
}
