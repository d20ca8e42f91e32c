package app

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/payoutapp/payoutapptest"
	"paysuite/services/withdraw/internal/store"
)

// TestTokenReturningFalseIsNotPaid: see
// payoutapptest.Suite.TokenReturningFalseIsNotPaid.
func TestTokenReturningFalseIsNotPaid(t *testing.T) {
	s := start(t, payoutapptest.FalseTokenSettings(t))
	s.TokenReturningFalseIsNotPaid("w", func(id, symbol string, to common.Address, amount string) map[string]any {
		return map[string]any{"request_id": id, "symbol": symbol, "to_address": to.Hex(), "amount": amount}
	}, nil, func(id string) (*int, *string, error) {
		w, err := store.Find(s.DB, id)
		if err != nil || w == nil {
			return nil, nil, err
		}
		return w.Status, w.Error, nil
	})
}
