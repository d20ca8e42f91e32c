// Package addresses records the deposit addresses the suite allocated, as
// topup announces them in sealed internal messages, so that withdraw can
// refuse to pay into one: tokens sent there would come back to the suite as
// a user's deposit.
package addresses

import (
	"context"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/depositaddr"
	"paysuite/pkg/events"
)

// Owner names withdraw's queues of address announcements
// (events.AddressQueue and events.AddressListQueue).
const Owner = contract.FlowWithdraw

// Book consumes events.AddressQueue(Owner) and events.AddressListQueue(Owner)
// and answers whether an address is a deposit address of the suite.
type Book struct {
	DB *gorm.DB
	// Chains are the chains withdraw pays out on.
	Chains []string
	Log    zerolog.Logger
}

// Handle stores the allocated addresses of one announcement, all or none
// (depositaddr.Learn).
func (b *Book) Handle(ctx context.Context, d broker.Delivery) error {
	return depositaddr.Learn(ctx, b.DB, d, b.Chains, b.Log, func(chain string, e events.ListedAddress) (depositaddr.Address, error) {
		return depositaddr.Address{Address: strings.ToLower(e.Address), Chain: chain, Index: *e.Index}, nil
	})
}

// Contains reports whether addr is a deposit address of the suite on chain.
func (b *Book) Contains(ctx context.Context, chain string, addr common.Address) (bool, error) {
	return depositaddr.Known(ctx, b.DB, chain, addr)
}
