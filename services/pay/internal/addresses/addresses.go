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

// Handler consumes events.AddressQueue(pay) and events.AddressListQueue(pay).
type Handler struct {
	DB    *gorm.DB
	Chain string
	// Derive returns the address pay's seed derives at deposit index i.
	Derive func(i uint32) (common.Address, error)
	Log    zerolog.Logger
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
func (h *Handler) Handle(ctx context.Context, d broker.Delivery) error {
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
	// Only topup's addresses derive from the key pay's seed matches.
	if a.Chain != h.Chain || (a.Owner != "" && a.Owner != events.OwnerTopup) {
		h.Log.Debug().Str("chain", a.Chain).Str("owner", a.Owner).Int("addresses", len(list)).Msg("addresses not pay's ignored")
		return nil
	}
	rows := make([]store.DepositAddress, 0, len(list))
	for _, e := range list {
		if e.Index == nil {
			continue // given to topup to watch: not derived, nothing to sign with
		}
		addr := common.HexToAddress(e.Address)
		got, err := h.Derive(*e.Index)
		if err != nil {
			return fmt.Errorf("derive deposit index %d: %w", *e.Index, err)
		}
		if got != addr {
			h.Log.Error().Str("address", e.Address).Uint32("index", *e.Index).Str("derived", strings.ToLower(got.Hex())).
				Msg("announced deposit address does not derive from pay's seed: PAY_SEED_FILE or PAY_DEPOSIT_PATH does not match TOPUP_XPUB")
			return broker.Poison(fmt.Sprintf("address %s is not index %d of pay's seed", e.Address, *e.Index))
		}
		rows = append(rows, store.DepositAddress{Address: store.Lower(addr), Chain: a.Chain, Index: *e.Index})
	}
	if len(rows) == 0 {
		return nil
	}
	if err := h.DB.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&rows).Error; err != nil {
		return fmt.Errorf("store %d deposit addresses: %w", len(rows), err)
	}
	h.Log.Debug().Int("addresses", len(rows)).Msg("deposit addresses known")
	return nil
}
