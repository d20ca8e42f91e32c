package app

import (
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/contract"
	"paysuite/services/pay/internal/store"
)

// twoTo256 is 2^256 base units of a 6-decimal token, one beyond a uint256.
const twoTo256 = "115792089237316195423570985008687907853269984665640564039457.584007913129639936"

// A signed payment of an amount beyond the bounds (an exponent of 70, 2^256
// base units, more than the column holds, more decimals than the token) or
// to a recipient where tokens are lost or come back (the zero address, the
// token contract, pay's hot wallet, another wallet of the suite named in
// SUITE_ADDRESSES, a deposit address, the paying address itself) is answered
// at once with status 0 and invalid_amount or invalid_address. Nothing else
// happens: the refusal is the request's only row, and neither the hot wallet
// nor the user's address sends anything.
func TestRefusedAmountsAndRecipients(t *testing.T) {
	suiteWallet := common.HexToAddress("0x00000000000000000000000000000000005017e5")
	s := startWith(t, map[string]string{"SUITE_ADDRESSES": " " + suiteWallet.Hex() + ", "})
	user, deposit := s.learn(1), s.learn(2)
	hot := s.Hot()
	merchant := s.Address("merchant").Hex()
	cases := []struct {
		id     string
		to     string
		amount any
		code   string
	}{
		{"p-exp70", merchant, "1e70", contract.ErrInvalidAmount},
		{"p-exp70-number", merchant, jsonNumber("1e70"), contract.ErrInvalidAmount},
		{"p-exp-huge-number", merchant, jsonNumber("1e999999999"), contract.ErrInvalidAmount},
		{"p-2pow256", merchant, twoTo256, contract.ErrInvalidAmount},
		{"p-beyond-column", merchant, "1" + strings.Repeat("0", 59), contract.ErrInvalidAmount},
		{"p-over-precise", merchant, "1.0000001", contract.ErrInvalidAmount},
		{"p-zero-address", "0x0000000000000000000000000000000000000000", "1", contract.ErrInvalidAddress},
		{"p-token", s.Cfg.Tokens[0].Address.Hex(), "1", contract.ErrInvalidAddress},
		{"p-hot-wallet", hot.Hex(), "1", contract.ErrInvalidAddress},
		{"p-suite-wallet", strings.ToLower(suiteWallet.Hex()), "1", contract.ErrInvalidAddress},
		{"p-deposit", deposit.Hex(), "1", contract.ErrInvalidAddress},
		{"p-itself", user.Hex(), "1", contract.ErrInvalidAddress},
	}
	sends, attempts := s.Count("tx_sends"), s.Count("tx_attempts")
	nonces := map[common.Address]uint64{}
	for _, a := range []common.Address{hot, user} {
		n, err := s.Eth.PendingNonceAt(t.Context(), a)
		if err != nil {
			t.Fatal(err)
		}
		nonces[a] = n
	}
	for _, c := range cases {
		sent := time.Now()
		s.Publish(s.Public, s.Cfg.Names.PayQueue, s.Request(currentSecret, map[string]any{
			"request_id": c.id, "order_id": "order-" + c.id, "from_address": user.Hex(), "to_address": c.to, "amount": c.amount}, time.Now()))
		r := s.Expect(c.id, contract.EventPay, contract.StatusFailed)
		if took := time.Since(sent); took > time.Second {
			t.Errorf("%s answered after %s, want within a second", c.id, took)
		}
		if r.Str("error") != c.code {
			t.Errorf("%s answered %s, want %s", c.id, r.Body, c.code)
		}
		var rows []store.Payment
		if err := s.DB.Where("request_id = ?", c.id).Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].SendKey != nil || rows[0].FundKey != nil || rows[0].Error == nil || *rows[0].Error != c.code {
			t.Errorf("%s stored %+v, want its refusal alone", c.id, rows)
		}
	}
	if n := s.Count("payments"); n != int64(len(cases)) {
		t.Errorf("%d payments stored, want the %d refusals", n, len(cases))
	}
	if s.Count("tx_sends") != sends || s.Count("tx_attempts") != attempts {
		t.Errorf("a transaction was stored for a refused payment")
	}
	for a, before := range nonces {
		if after, err := s.Eth.PendingNonceAt(t.Context(), a); err != nil || after != before {
			t.Errorf("the pending nonce of %s went from %d to %d (%v): it sent a transaction", a.Hex(), before, after, err)
		}
	}
}

// jsonNumber is an amount sent as a JSON number, written as is.
type jsonNumber string

func (n jsonNumber) MarshalJSON() ([]byte, error) { return []byte(n), nil }
