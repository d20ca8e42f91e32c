// Package addresses records the deposit addresses the suite allocated, as
// topup announces them in sealed internal messages, so that withdraw can
// refuse to pay into one: tokens sent there would come back to the suite as
// a user's deposit.
package addresses

import (
	"context"
	"encoding/json"
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

// announcement reads either form: events.AddressAllocated (one address) or
// events.AddressList (several, of which those with an index are allocated).
type announcement struct {
	Chain     string                 `json:"chain"`
	Owner     string                 `json:"owner"`
	Address   string                 `json:"address"`
	Index     uint32                 `json:"index"`
	Addresses []events.ListedAddress `json:"addresses"`
}

// Handle stores the allocated addresses of one announcement, all or none.
// Addresses only given to topup to watch belong to business systems, not to
// the suite, and are not stored.
func (b *Book) Handle(ctx context.Context, d broker.Delivery) error {
	var a announcement
	if err := json.Unmarshal(d.Body, &a); err != nil {
		return broker.Poison("not an address announcement")
	}
	list := a.Addresses
	if a.Address != "" {
		list = append(list, events.ListedAddress{Address: a.Address, Index: &a.Index})
	}
	if len(list) == 0 {
		return broker.Poison("address announcement without an address")
	}
	for _, e := range list {
		if !contract.ValidAddress(e.Address) {
			return broker.Poison("not an address announcement")
		}
	}
	if a.Chain != b.Chain || (a.Owner != "" && a.Owner != events.OwnerTopup) {
		b.Log.Debug().Str("chain", a.Chain).Str("owner", a.Owner).Int("addresses", len(list)).Msg("addresses not of withdraw's chain ignored")
		return nil
	}
	rows := make([]depositAddress, 0, len(list))
	for _, e := range list {
		if e.Index != nil {
			rows = append(rows, depositAddress{Address: strings.ToLower(e.Address), Chain: a.Chain, Index: *e.Index})
		}
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
