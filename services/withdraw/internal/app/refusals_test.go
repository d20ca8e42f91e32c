package app

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/broker"
	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
	"paysuite/services/withdraw/internal/store"
)

// TestRefusedAmountsAndRecipients: see
// payoutapptest.Suite.RefusedAmountsAndRecipients, with a deposit address the
// suite allocated.
func TestRefusedAmountsAndRecipients(t *testing.T) {
	s := start(t, nil)
	s.RefusedAmountsAndRecipients("w", s.learnDeposit(7), nil, "withdrawals", func(id, to string, amount any) map[string]any {
		return map[string]any{"request_id": id, "to_address": to, "amount": amount}
	}, func(id, code string) (any, bool) {
		var rows []store.Withdrawal
		if err := s.DB.Where("request_id = ?", id).Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		return rows, len(rows) == 1 && rows[0].State == store.StateDone && rows[0].SendKey == nil && rows[0].Error != nil && *rows[0].Error == code
	})
}

// learnDeposit announces the address of deposit index i, sealed as topup
// announces it, and waits until withdraw knows it.
func (s *suite) learnDeposit(i uint32) common.Address {
	s.T.Helper()
	addr := s.Address(fmt.Sprintf("deposit-%d", i))
	list := events.AddressList{Chain: s.Cfg.Chain, Owner: events.OwnerTopup,
		Addresses: []events.ListedAddress{{Address: strings.ToLower(addr.Hex()), Index: &i}}}
	body, err := s.Keys.Seal(events.AddressListKey, list)
	if err != nil {
		s.T.Fatal(err)
	}
	if err := s.Internal.Publish(s.T.Context(), events.Exchange, events.AddressListKey, broker.Message{Body: body}); err != nil {
		s.T.Fatal(err)
	}
	servicetest.Eventually(s.T, fmt.Sprintf("withdraw learns deposit index %d", i), func() bool {
		return s.Count("deposit_addresses") > 0
	})
	return addr
}
