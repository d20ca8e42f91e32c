// Package addresses records the deposit addresses topup announces, after
// checking that pay's seed derives each one at the announced index (so that a
// seed that does not match topup's extended public key is caught at once, not
// when a payment is due).
package addresses

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/rs/zerolog"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/services/pay/internal/store"
)

// Handler consumes events.AddressQueue(pay).
type Handler struct {
	DB    *gorm.DB
	Chain string
	// Derive returns the address pay's seed derives at deposit index i.
	Derive func(i uint32) (common.Address, error)
	Log    zerolog.Logger
}

// Handle stores one announced address.
func (h *Handler) Handle(ctx context.Context, d broker.Delivery) error {
	var a events.AddressAllocated
	if err := json.Unmarshal(d.Body, &a); err != nil || !contract.ValidAddress(a.Address) {
		return broker.Poison("not an address announcement")
	}
	if a.Chain != h.Chain {
		h.Log.Debug().Str("chain", a.Chain).Str("address", a.Address).Msg("address of another chain ignored")
		return nil
	}
	addr := common.HexToAddress(a.Address)
	got, err := h.Derive(a.Index)
	if err != nil {
		return fmt.Errorf("derive deposit index %d: %w", a.Index, err)
	}
	if got != addr {
		h.Log.Error().Str("address", a.Address).Uint32("index", a.Index).Str("derived", strings.ToLower(got.Hex())).
			Msg("announced deposit address does not derive from pay's seed: PAY_SEED_FILE or PAY_DEPOSIT_PATH does not match TOPUP_XPUB")
		return broker.Poison(fmt.Sprintf("address %s is not index %d of pay's seed", a.Address, a.Index))
	}
	row := store.DepositAddress{Address: store.Lower(addr), Chain: a.Chain, Index: a.Index}
	if err := h.DB.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return fmt.Errorf("store deposit address %s: %w", a.Address, err)
	}
	h.Log.Debug().Str("address", row.Address).Uint32("index", a.Index).Msg("deposit address known")
	return nil
}
