package app

import (
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/contract"
	"paysuite/pkg/erc20"
	"paysuite/pkg/erc20/erc20test"
	"paysuite/pkg/events"
	"paysuite/pkg/keystore"
	"paysuite/pkg/tokens"
	"paysuite/services/pay/internal/store"
)

// A token whose transfer returns false instead of reverting moves nothing,
// yet its transaction is mined with status 1: such a payment is reported
// failed (status 0, reverted, with the transaction), never paid, and raises
// a tokens_not_moved alert. The user's address pays, so its gas is funded
// first: that ether transfer, which has no token event, still counts. The
// same token's transfers that do move, and the test USDT's, are paid as ever.
func TestTokenReturningFalseIsNotPaid(t *testing.T) {
	falseToken, err := erc20test.FalseUSDTAddress()
	if err != nil {
		t.Fatal(err)
	}
	// The test USDT stays first: the development funding gives the hot
	// wallet its ether and test USDT; the other token mints to it.
	s := startWith(t, map[string]string{"TOKENS": tokens.DevUSDT + ",FUSDT:" + falseToken.Hex() + ":6"})
	key, err := s.cfg.HotKey()
	if err != nil {
		t.Fatal(err)
	}
	user := s.learn(1)
	token := erc20test.DeployFalseUSDT(t, s.eth, keystore.Address(key), user)
	merchant, blocked := s.address("merchant"), s.address("blocked")
	token.Freeze(blocked)

	pay := func(id, symbol string, to common.Address, amount string) {
		s.publish(s.public, s.cfg.Names.PayQueue, s.request(currentSecret, map[string]any{
			"request_id": id, "order_id": "order-" + id, "symbol": symbol, "from_address": user.Hex(),
			"to_address": to.Hex(), "amount": amount}, time.Now()))
		s.expect(id, contract.EventSubmitted, contract.StatusPending)
	}
	pay("p-usdt", "USDT", merchant, "1.5")
	s.expect("p-usdt", contract.EventPay, contract.StatusSuccess)
	pay("p-moved", "FUSDT", merchant, "2")
	if r := s.expect("p-moved", contract.EventPay, contract.StatusSuccess); r.Str("paid_from") != store.PaidFromUser {
		t.Fatalf("p-moved paid from %s, want the user's address", r.Str("paid_from"))
	}

	pay("p-false", "FUSDT", blocked, "2.5")
	final := s.expect("p-false", contract.EventPay, contract.StatusFailed)
	if final.Str("error") != contract.ErrReverted || !strings.Contains(final.Str("message"), "moved nothing") {
		t.Fatalf("final answer %s, want error reverted saying the token moved nothing", final.Body)
	}
	if final.Str("tx_hash") == "" || final.Int("block_number") == 0 || final.Str("paid_from") != store.PaidFromUser {
		t.Fatalf("final answer %s, want the user's mined transaction", final.Body)
	}
	s.expectSealedAlert(events.AlertTokensNotMoved)

	p, err := store.Find(s.db, "p-false")
	if err != nil || p == nil || p.Status == nil || *p.Status != contract.StatusFailed || p.Error == nil || *p.Error != contract.ErrReverted {
		t.Fatalf("stored payment %+v (%v), want status 0 and error reverted", p, err)
	}
	for _, tc := range []struct {
		holder common.Address
		want   int64
	}{{blocked, 0}, {merchant, 2_000_000}} {
		got, err := erc20.NewToken(token.Address, s.eth).BalanceOf(t.Context(), tc.holder)
		if err != nil {
			t.Fatal(err)
		}
		if got.Int64() != tc.want {
			t.Errorf("%s holds %s of FUSDT, want %d", tc.holder.Hex(), got, tc.want)
		}
	}
}
