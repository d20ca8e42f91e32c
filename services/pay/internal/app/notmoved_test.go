package app

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/payoutapp/payoutapptest"
	"paysuite/pkg/service/servicetest"
	"paysuite/services/pay/internal/store"
)

// TestTokenReturningFalseIsNotPaid: see
// payoutapptest.Suite.TokenReturningFalseIsNotPaid. The user's address pays,
// so its gas is funded first: that ether transfer, which has no token event,
// still counts.
func TestTokenReturningFalseIsNotPaid(t *testing.T) {
	s := start(t, payoutapptest.FalseTokenSettings(t))
	user := s.learn(1)
	s.TokenReturningFalseIsNotPaid("p", func(id, symbol string, to common.Address, amount string) map[string]any {
		return map[string]any{"request_id": id, "order_id": "order-" + id, "symbol": symbol, "from_address": user.Hex(),
			"to_address": to.Hex(), "amount": amount}
	}, func(r servicetest.Return) {
		if r.Str("paid_from") != store.PaidFromUser {
			t.Fatalf("%s paid from %s, want the user's address", r.Str("request_id"), r.Str("paid_from"))
		}
	}, func(id string) (*int, *string, error) {
		p, err := store.Find(s.DB, id)
		if err != nil || p == nil {
			return nil, nil, err
		}
		return p.Status, p.Error, nil
	}, user)
}
