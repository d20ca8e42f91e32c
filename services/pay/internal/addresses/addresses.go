// Package addresses records the deposit addresses topup announces, after
// checking that pay's seed derives each one at the announced index (so that a
// seed that does not match topup's extended public key is caught at once, not
// when a payment is due).
package addresses

import (
	"context"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/depositaddr"
	"paysuite/pkg/events"
	"paysuite/services/pay/internal/store"
)

// Handler consumes events.AddressQueue(pay) and events.AddressListQueue(pay).
type Handler struct {
	DB *gorm.DB
	// Chains are the chains pay pays out on.
	Chains []string
	// Derive returns the address pay's seed derives at deposit index i.
	Derive func(i uint32) (common.Address, error)
	Log    zerolog.Logger
}

// Handle stores the allocated addresses of one announcement, all or none.
// Only topup's allocated addresses derive from the key pay's seed matches;
// addresses given to topup to watch have nothing to sign with.
func (h *Handler) Handle(ctx context.Context, d broker.Delivery) error {
	return depositaddr.Learn(ctx, h.DB, d, h.Chains, h.Log, func(chain string, e events.ListedAddress) (store.DepositAddress, error) {
		addr := common.HexToAddress(e.Address)
		got, err := h.Derive(*e.Index)
		if err != nil {
			return store.DepositAddress{}, fmt.Errorf("derive deposit index %d: %w", *e.Index, err)
		}
		if got != addr {
			h.Log.Error().Str("address", e.Address).Uint32("index", *e.Index).Str("derived", strings.ToLower(got.Hex())).
				Msg("announced deposit address does not derive from pay's seed: PAY_SEED_FILE or PAY_DEPOSIT_PATH does not match TOPUP_XPUB")
			return store.DepositAddress{}, broker.Poison(fmt.Sprintf("address %s is not index %d of pay's seed", e.Address, *e.Index))
		}
		return store.DepositAddress{Address: store.Lower(addr), Chain: chain, Index: *e.Index}, nil
	})
}
