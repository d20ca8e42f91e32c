package payoutapptest

import (
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/contract"
)

// TwoTo256 is 2^256 base units of a 6-decimal token, one beyond a uint256.
const TwoTo256 = "115792089237316195423570985008687907853269984665640564039457.584007913129639936"

// JSONNumber is an amount sent as a JSON number, written as is.
type JSONNumber string

func (n JSONNumber) MarshalJSON() ([]byte, error) { return []byte(n), nil }

// Refusal is a request to the address To of Amount, with request id ID,
// that the service must refuse at once with Code.
type Refusal struct {
	ID     string
	To     string
	Amount any
	Code   string
}

// RefusedAmountsAndRecipients checks that a signed request of an amount
// beyond the bounds (an exponent of 70, 2^256 base units, more than the
// column holds, more decimals than the token), to a recipient where tokens
// are lost or come back (the zero address, the token contract, the hot
// wallet itself, the deposit address deposit), or of more (the service's
// own) is answered at once with status 0 and invalid_amount or
// invalid_address. Nothing else happens: the refusal is the request's only
// row of table, and neither the hot wallet nor senders send anything.
// request is the fields of the request id paying amount to the address to;
// alone says whether the stored rows of id are its refusal with code alone,
// and what they are.
func (s *Suite[C]) RefusedAmountsAndRecipients(prefix string, deposit common.Address, more []Refusal, table string,
	request func(id, to string, amount any) map[string]any, alone func(id, code string) (stored any, ok bool), senders ...common.Address) {
	t := s.T
	t.Helper()
	hot := s.Hot()
	to := s.Address("merchant").Hex()
	cases := append([]Refusal{
		{prefix + "-exp70", to, "1e70", contract.ErrInvalidAmount},
		{prefix + "-exp70-number", to, JSONNumber("1e70"), contract.ErrInvalidAmount},
		{prefix + "-exp-huge-number", to, JSONNumber("1e999999999"), contract.ErrInvalidAmount},
		{prefix + "-2pow256", to, TwoTo256, contract.ErrInvalidAmount},
		{prefix + "-beyond-column", to, "1" + strings.Repeat("0", 59), contract.ErrInvalidAmount},
		{prefix + "-over-precise", to, "1.0000001", contract.ErrInvalidAmount},
		{prefix + "-zero-address", "0x0000000000000000000000000000000000000000", "1", contract.ErrInvalidAddress},
		{prefix + "-token", s.settings.Tokens[0].Address.Hex(), "1", contract.ErrInvalidAddress},
		{prefix + "-hot-wallet", hot.Hex(), "1", contract.ErrInvalidAddress},
		{prefix + "-deposit", deposit.Hex(), "1", contract.ErrInvalidAddress},
	}, more...)
	sends, attempts := s.Count("tx_sends"), s.Count("tx_attempts")
	nonces := map[common.Address]uint64{}
	for _, a := range append([]common.Address{hot}, senders...) {
		n, err := s.Eth.PendingNonceAt(t.Context(), a)
		if err != nil {
			t.Fatal(err)
		}
		nonces[a] = n
	}
	for _, c := range cases {
		sent := time.Now()
		s.Publish(s.Public, s.Queue, s.Request(CurrentSecret, request(c.ID, c.To, c.Amount), time.Now()))
		r := s.Expect(c.ID, s.Service.FinalEvent, contract.StatusFailed)
		if took := time.Since(sent); took > time.Second {
			t.Errorf("%s answered after %s, want within a second", c.ID, took)
		}
		if r.Str("error") != c.Code {
			t.Errorf("%s answered %s, want %s", c.ID, r.Body, c.Code)
		}
		if rows, ok := alone(c.ID, c.Code); !ok {
			t.Errorf("%s stored %+v, want its refusal alone", c.ID, rows)
		}
	}
	if n := s.Count(table); n != int64(len(cases)) {
		t.Errorf("%d %s stored, want the %d refusals", n, table, len(cases))
	}
	if s.Count("tx_sends") != sends || s.Count("tx_attempts") != attempts {
		t.Errorf("a transaction was stored for a refused request")
	}
	for a, before := range nonces {
		if after, err := s.Eth.PendingNonceAt(t.Context(), a); err != nil || after != before {
			t.Errorf("the pending nonce of %s went from %d to %d (%v): it sent a transaction", a.Hex(), before, after, err)
		}
	}
}
