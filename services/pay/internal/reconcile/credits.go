package reconcile

import (
	"context"
	"encoding/json"
	"math/big"

	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/events"
	"paysuite/services/pay/internal/store"
)

// Credits records the deposits of events.LedgerQueue: the confirmed
// transfers the chain-listener reports into the suite's addresses, and those
// removed by a reorganisation after that. Other stages count for nothing.
type Credits struct{ DB *gorm.DB }

// Handle records one authenticated transfer event; an unreadable one is poison.
func (c Credits) Handle(ctx context.Context, d broker.Delivery) error {
	var ev events.Transfer
	if err := json.Unmarshal(d.Body, &ev); err != nil || ev.Chain == "" || ev.TxHash == "" || ev.To == "" {
		return broker.Poison("not a transfer event")
	}
	if ev.Kind != events.KindConfirmed && ev.Kind != events.KindRemoved {
		return nil
	}
	if !validUnits(ev.Amount) {
		return broker.Poison("transfer event with amount " + ev.Amount)
	}
	return store.RecordCredit(c.DB.WithContext(ctx), ev)
}

// validUnits reports whether s is a whole number of base units.
func validUnits(s string) bool {
	v, ok := new(big.Int).SetString(s, 10)
	return ok && v.Sign() >= 0
}
