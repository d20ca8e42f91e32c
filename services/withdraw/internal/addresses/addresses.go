// Package addresses records the deposit addresses the suite allocated, as
// topup announces them in sealed internal messages, so that withdraw can
// refuse to pay into one: tokens sent there would come back to the suite as
// a user's deposit.
package addresses

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/rs/zerolog"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/events"
)

// Owner names withdraw's queues of address announcements
// (events.AddressQueue and events.AddressListQueue).
const Owner = contract.FlowWithdraw

// depositAddress is one allocated deposit address (migration 0004).
type depositAddress struct {
	Address   string    `gorm:"column:address;primaryKey"` // lowercase 0x-hex
	Chain     string    `gorm:"column:chain"`
	Index     uint32    `gorm:"column:hd_index"`
	CreatedAt time.Time `gorm:"column:created_at"`
}

func (depositAddress) TableName() string { return "deposit_addresses" }

// Book consumes events.AddressQueue(Owner) and events.AddressListQueue(Owner)
// and answers whether an address is a deposit address of the suite.
type Book struct {
	DB    *gorm.DB
	Chain string
	Log   zerolog.Logger
}

// Handle stores the allocated addresses of one announcement, all or none.
// Addresses only given to topup to watch belong to business systems, not to
// the suite, and are not stored.
func (b *Book) Handle(ctx context.Context, d broker.Delivery) error {
	a, err := events.ReadAnnouncement(d.Body)
	if err != nil {
		return broker.Poison(err.Error())
	}
	var rows []depositAddress
	for _, e := range a.DepositAddresses(b.Chain) {
		rows = append(rows, depositAddress{Address: strings.ToLower(e.Address), Chain: a.Chain, Index: *e.Index})
	}
	if len(rows) == 0 {
		return nil
	}
	if err := b.DB.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&rows).Error; err != nil {
		return fmt.Errorf("store %d deposit addresses: %w", len(rows), err)
	}
	b.Log.Debug().Int("addresses", len(rows)).Msg("deposit addresses known")
	return nil
}

// Contains reports whether addr is a deposit address of the suite on chain.
func (b *Book) Contains(ctx context.Context, chain string, addr common.Address) (bool, error) {
	var n int64
	err := b.DB.WithContext(ctx).Model(&depositAddress{}).
		Where("address = ? AND chain = ?", strings.ToLower(addr.Hex()), chain).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("find deposit address %s: %w", addr.Hex(), err)
	}
	return n > 0, nil
}
