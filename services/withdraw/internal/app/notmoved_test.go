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
	"paysuite/services/withdraw/internal/store"
)

// A token whose transfer returns false instead of reverting moves nothing,
// yet its transaction is mined with status 1: such a withdrawal is reported
// failed (status 0, reverted, with the transaction), never paid, and raises
// a tokens_not_moved alert. The same token's transfers that do move, and the
// test USDT's, are paid as ever.
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
	token := erc20test.DeployFalseUSDT(t, s.eth, keystore.Address(key))
	paid, blocked := s.address("paid"), s.address("blocked")
	token.Freeze(blocked)

	withdraw := func(id, symbol string, to common.Address, amount string) {
		s.publish(s.public, s.cfg.Names.WithdrawQueue, s.request(currentSecret, map[string]any{
			"request_id": id, "symbol": symbol, "to_address": to.Hex(), "amount": amount}, time.Now()))
		s.expect(id, contract.EventSubmitted, contract.StatusPending)
	}
	withdraw("w-usdt", "USDT", paid, "1.5")
	s.expect("w-usdt", contract.EventWithdraw, contract.StatusSuccess)
	withdraw("w-moved", "FUSDT", paid, "2")
	s.expect("w-moved", contract.EventWithdraw, contract.StatusSuccess)

	withdraw("w-false", "FUSDT", blocked, "2.5")
	final := s.expect("w-false", contract.EventWithdraw, contract.StatusFailed)
	if final.Str("error") != contract.ErrReverted || !strings.Contains(final.Str("message"), "moved nothing") {
		t.Fatalf("final answer %s, want error reverted saying the token moved nothing", final.Body)
	}
	if final.Str("tx_hash") == "" || final.Int("block_number") == 0 || final.Str("fee") == "" {
		t.Fatalf("final answer %s, want the mined transaction (tx_hash, block_number, fee)", final.Body)
	}
	s.expectSealedAlert(events.AlertTokensNotMoved)

	w, err := store.Find(s.db, "w-false")
	if err != nil || w == nil || w.Status == nil || *w.Status != contract.StatusFailed || w.Error == nil || *w.Error != contract.ErrReverted {
		t.Fatalf("stored withdrawal %+v (%v), want status 0 and error reverted", w, err)
	}
	for _, tc := range []struct {
		holder common.Address
		want   int64
	}{{blocked, 0}, {paid, 2_000_000}} {
		got, err := erc20.NewToken(token.Address, s.eth).BalanceOf(t.Context(), tc.holder)
		if err != nil {
			t.Fatal(err)
		}
		if got.Int64() != tc.want {
			t.Errorf("%s holds %s of FUSDT, want %d", tc.holder.Hex(), got, tc.want)
		}
	}
}
