package app

import (
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/contract"
	"paysuite/pkg/payoutapp/payoutapptest"
	"paysuite/services/pay/internal/store"
)

// TestRefusedAmountsAndRecipients: see
// payoutapptest.Suite.RefusedAmountsAndRecipients, with a deposit address of
// pay's seed; another wallet of the suite named in SUITE_ADDRESSES and the
// paying address itself are refused as recipients too, and the user's
// address sends nothing either.
func TestRefusedAmountsAndRecipients(t *testing.T) {
	suiteWallet := common.HexToAddress("0x00000000000000000000000000000000005017e5")
	s := start(t, map[string]string{"SUITE_ADDRESSES": " " + suiteWallet.Hex() + ", "})
	user, deposit := s.learn(1), s.learn(2)
	more := []payoutapptest.Refusal{
		{ID: "p-suite-wallet", To: strings.ToLower(suiteWallet.Hex()), Amount: "1", Code: contract.ErrInvalidAddress},
		{ID: "p-itself", To: user.Hex(), Amount: "1", Code: contract.ErrInvalidAddress},
	}
	s.RefusedAmountsAndRecipients("p", deposit, more, "payments", func(id, to string, amount any) map[string]any {
		return map[string]any{"request_id": id, "order_id": "order-" + id, "from_address": user.Hex(), "to_address": to, "amount": amount}
	}, func(id, code string) (any, bool) {
		var rows []store.Payment
		if err := s.DB.Where("request_id = ?", id).Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		return rows, len(rows) == 1 && rows[0].SendKey == nil && rows[0].FundKey == nil && rows[0].Error != nil && *rows[0].Error == code
	}, user)
}
