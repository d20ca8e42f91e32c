package app

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
	"paysuite/services/withdraw/internal/store"
)

// twoTo256 is 2^256 base units of a 6-decimal token, one beyond a uint256.
const twoTo256 = "115792089237316195423570985008687907853269984665640564039457.584007913129639936"

// A signed withdrawal of an amount beyond the bounds (an exponent of 70,
// 2^256 base units, more than the column holds, more decimals than the
// token) or to a recipient where tokens are lost or come back (the zero
// address, the token contract, the hot wallet itself, a deposit address the
// suite allocated) is answered at once with status 0 and invalid_amount or
// invalid_address. Nothing else happens: the refusal is the request's only
// row, and the hot wallet sends nothing.
func TestRefusedAmountsAndRecipients(t *testing.T) {
	s := start(t)
	deposit := s.learnDeposit(7)
	hot := s.Hot()
	merchant := s.Address("merchant").Hex()
	cases := []struct {
		id     string
		to     string
		amount any
		code   string
	}{
		{"w-exp70", merchant, "1e70", contract.ErrInvalidAmount},
		{"w-exp70-number", merchant, jsonNumber("1e70"), contract.ErrInvalidAmount},
		{"w-exp-huge-number", merchant, jsonNumber("1e999999999"), contract.ErrInvalidAmount},
		{"w-2pow256", merchant, twoTo256, contract.ErrInvalidAmount},
		{"w-beyond-column", merchant, "1" + strings.Repeat("0", 59), contract.ErrInvalidAmount},
		{"w-over-precise", merchant, "1.0000001", contract.ErrInvalidAmount},
		{"w-zero-address", "0x0000000000000000000000000000000000000000", "1", contract.ErrInvalidAddress},
		{"w-token", s.Cfg.Tokens[0].Address.Hex(), "1", contract.ErrInvalidAddress},
		{"w-hot-wallet", hot.Hex(), "1", contract.ErrInvalidAddress},
		{"w-deposit", deposit.Hex(), "1", contract.ErrInvalidAddress},
	}
	sends, attempts := s.Count("tx_sends"), s.Count("tx_attempts")
	nonce, err := s.Eth.PendingNonceAt(t.Context(), hot)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		sent := time.Now()
		s.Publish(s.Public, s.Cfg.Names.WithdrawQueue, s.Request(currentSecret, map[string]any{
			"request_id": c.id, "to_address": c.to, "amount": c.amount}, time.Now()))
		r := s.Expect(c.id, contract.EventWithdraw, contract.StatusFailed)
		if took := time.Since(sent); took > time.Second {
			t.Errorf("%s answered after %s, want within a second", c.id, took)
		}
		if r.Str("error") != c.code {
			t.Errorf("%s answered %s, want %s", c.id, r.Body, c.code)
		}
		var rows []store.Withdrawal
		if err := s.DB.Where("request_id = ?", c.id).Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].State != store.StateDone || rows[0].SendKey != nil || rows[0].Error == nil || *rows[0].Error != c.code {
			t.Errorf("%s stored %+v, want its refusal alone", c.id, rows)
		}
	}
	if n := s.Count("withdrawals"); n != int64(len(cases)) {
		t.Errorf("%d withdrawals stored, want the %d refusals", n, len(cases))
	}
	if s.Count("tx_sends") != sends || s.Count("tx_attempts") != attempts {
		t.Errorf("a transaction was stored for a refused withdrawal")
	}
	if after, err := s.Eth.PendingNonceAt(t.Context(), hot); err != nil || after != nonce {
		t.Errorf("the hot wallet's pending nonce went from %d to %d (%v): it sent a transaction", nonce, after, err)
	}
}

// jsonNumber is an amount sent as a JSON number, written as is.
type jsonNumber string

func (n jsonNumber) MarshalJSON() ([]byte, error) { return []byte(n), nil }

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
