package payoutapptest

import (
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/contract"
	"paysuite/pkg/erc20"
	"paysuite/pkg/erc20/erc20test"
	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
	"paysuite/pkg/tokens"
)

// FalseTokenSettings configure the test USDT and, as FUSDT, a token whose
// transfer returns false instead of reverting. The test USDT stays first:
// the development funding gives the hot wallet its ether and test USDT.
func FalseTokenSettings(t *testing.T) map[string]string {
	falseToken, err := erc20test.FalseUSDTAddress()
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"TOKENS": tokens.DevUSDT + ",FUSDT:" + falseToken.Hex() + ":6"}
}

// TokenReturningFalseIsNotPaid checks, for a service started with
// FalseTokenSettings, that a transfer of FUSDT that moves nothing, yet is
// mined with status 1, is answered failed (status 0, reverted, with the
// mined transaction), never paid, stored so, and raises a tokens_not_moved
// alert; FUSDT's transfers that do move, and the test USDT's, are paid as
// ever. request is the fields of the request id paying amount of symbol to
// the address to; check, when set, checks the final answers of FUSDT
// further;
// stored reads the stored status and error of a request. The other
// holders (the hot wallet always) are minted FUSDT to pay with.
func (s *Suite[C]) TokenReturningFalseIsNotPaid(prefix string, request func(id, symbol string, to common.Address, amount string) map[string]any,
	check func(r servicetest.Return), stored func(id string) (status *int, code *string, err error), holders ...common.Address) {
	t := s.T
	token := erc20test.DeployFalseUSDT(t, s.Eth, append([]common.Address{s.Hot()}, holders...)...)
	paid, blocked := s.Address("paid"), s.Address("blocked")
	token.Freeze(blocked)

	pay := func(id, symbol string, to common.Address, amount string) {
		s.Publish(s.Public, s.Queue, s.Request(CurrentSecret, request(id, symbol, to, amount), time.Now()))
		s.Expect(id, contract.EventSubmitted, contract.StatusPending)
	}
	final := func(id string, status int) servicetest.Return {
		r := s.Expect(id, s.Service.FinalEvent, status)
		if check != nil {
			check(r)
		}
		return r
	}
	pay(prefix+"-usdt", "USDT", paid, "1.5")
	s.Expect(prefix+"-usdt", s.Service.FinalEvent, contract.StatusSuccess)
	pay(prefix+"-moved", "FUSDT", paid, "2")
	final(prefix+"-moved", contract.StatusSuccess)

	id := prefix + "-false"
	pay(id, "FUSDT", blocked, "2.5")
	r := final(id, contract.StatusFailed)
	if r.Str("error") != contract.ErrReverted || !strings.Contains(r.Str("message"), "moved nothing") {
		t.Fatalf("final answer %s, want error reverted saying the token moved nothing", r.Body)
	}
	if r.Str("tx_hash") == "" || r.Int("block_number") == 0 || r.Str("fee") == "" {
		t.Fatalf("final answer %s, want the mined transaction (tx_hash, block_number, fee)", r.Body)
	}
	s.ExpectSealedAlert(events.AlertTokensNotMoved)

	status, code, err := stored(id)
	if err != nil || status == nil || *status != contract.StatusFailed || code == nil || *code != contract.ErrReverted {
		t.Fatalf("stored %s: status %v, error %v (%v), want status 0 and error reverted", id, status, code, err)
	}
	for _, tc := range []struct {
		holder common.Address
		want   int64
	}{{blocked, 0}, {paid, 2_000_000}} {
		got, err := erc20.NewToken(token.Address, s.Eth).BalanceOf(t.Context(), tc.holder)
		if err != nil {
			t.Fatal(err)
		}
		if got.Int64() != tc.want {
			t.Errorf("%s holds %s of FUSDT, want %d", tc.holder.Hex(), got, tc.want)
		}
	}
}
