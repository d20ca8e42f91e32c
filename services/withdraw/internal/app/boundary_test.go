package app

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/services/withdraw/internal/store"
)

// TestOnlySignedRequestsMoveFunds: see
// payoutapptest.Suite.OnlySignedRequestsMoveFunds.
func TestOnlySignedRequestsMoveFunds(t *testing.T) {
	s := start(t, nil)
	s.OnlySignedRequestsMoveFunds("w", func(id string, to common.Address, amount string) map[string]any {
		return map[string]any{"request_id": id, "to_address": to.Hex(), "amount": amount}
	}, nil, s.state)
}

// state is what a forged message must not change (payoutapptest.Suite.State).
func (s *suite) state(holders ...common.Address) map[string]string {
	return s.State(&[]store.Withdrawal{}, []common.Address{s.Hot()}, holders...)
}
