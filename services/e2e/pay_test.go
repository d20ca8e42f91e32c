package e2e

import (
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

func payment(id, order, from, to, amount string) map[string]any {
	return map[string]any{"request_id": id, "order_id": order, "from_address": from, "to_address": to, "amount": amount}
}

// TestPayFromUserOrHotWallet: a payment from a deposit address that holds the
// tokens but no ether is paid from that address once pay has funded its gas;
// one from an empty deposit address is paid from pay's hot wallet; one from an
// address that is not a deposit address is refused.
func TestPayFromUserOrHotWallet(t *testing.T) { payFromUserOrHotWallet(t, NewSuite(t)) }

// payFromUserOrHotWallet is TestPayFromUserOrHotWallet on s.
func payFromUserOrHotWallet(t *testing.T, s *Suite) {
	s.Start("chain-listener")
	s.Start("topup")
	s.startPayout("pay", "pay", payQueue, 1)
	s.waitDepositConsumers(1)
	topups := s.Collect(topupReturn)
	c := s.Collect(payReturn)
	stop := s.startMiner(150 * time.Millisecond)
	defer stop()
	hot := strings.ToLower(devAddress(t, payHotPath).Hex())

	// Two deposit addresses; pay learns their index from topup's announcements.
	rich := register(t, s, topups, "pay-user-rich")
	empty := register(t, s, topups, "pay-user-empty")
	for _, a := range []string{rich, empty} {
		s.waitQuery("pay", "SELECT COUNT(*) FROM deposit_addresses WHERE address = '"+a+"'", "1")
	}
	s.SendUSDT(1, rich, "25")
	waitDeposit(t, topups, "pay-user-rich", 1, 1) // confirmed: now it is the user's
	if bal, _ := s.Eth.BalanceAt(t.Context(), common.HexToAddress(rich), nil); bal.Sign() != 0 {
		t.Fatalf("the deposit address already holds %s wei", bal)
	}

	t.Run("from the user's address, gas funded", func(t *testing.T) {
		merchant := newAddress(t)
		sent := time.Now()
		s.Publish(payKey, payment("pay-1", "order-1", rich, merchant, "10.5"))
		sub := waitEvent(t, c, "pay-1", "submitted")
		s.CheckReturn("pay.return.submitted", sub)
		final := waitEvent(t, c, "pay-1", "pay")
		s.CheckReturn("pay.return.pay", final)
		t.Logf("paid from a user address without ether: submitted after %s, confirmed after %s",
			sub.At.Sub(sent).Round(time.Millisecond), final.At.Sub(sent).Round(time.Millisecond))
		if final.Num("status") != 1 || final.Str("paid_from") != "user" || final.Str("from_address") != rich ||
			final.Str("order_id") != "order-1" || final.Str("amount") != "10.5" || sub.Str("paid_from") != "user" {
			t.Fatalf("final: %s\nsubmitted: %s", final.Body, sub.Body)
		}
		if got := s.tokenBalance(merchant); got.Cmp(USDT("10.5")) != 0 || s.transfersTo(merchant) != 1 {
			t.Fatalf("merchant holds %s after %d transfers", got, s.transfersTo(merchant))
		}
		if got := s.tokenBalance(rich); got.Cmp(USDT("14.5")) != 0 {
			t.Fatalf("the user's address holds %s", got)
		}
		if n := s.nonceOf(common.HexToAddress(rich)); n != 1 {
			t.Fatalf("the user's address sent %d transactions", n)
		}
		if bal, _ := s.Eth.BalanceAt(t.Context(), common.HexToAddress(rich), nil); bal.Sign() <= 0 {
			t.Fatal("the user's address was never funded")
		}
	})

	t.Run("from the hot wallet", func(t *testing.T) {
		merchant := newAddress(t)
		hotBefore := s.tokenBalance(hot)
		s.Publish(payKey, payment("pay-2", "order-2", empty, merchant, "4"))
		final := waitEvent(t, c, "pay-2", "pay")
		s.CheckReturn("pay.return.pay", final)
		if final.Num("status") != 1 || final.Str("paid_from") != "hot_wallet" || final.Str("from_address") != hot {
			t.Fatalf("final: %s", final.Body)
		}
		if got := s.tokenBalance(merchant); got.Cmp(USDT("4")) != 0 || s.transfersTo(merchant) != 1 {
			t.Fatalf("merchant holds %s", got)
		}
		if spent := new(big.Int).Sub(hotBefore, s.tokenBalance(hot)); spent.Cmp(USDT("4")) != 0 {
			t.Fatalf("the hot wallet spent %s", spent)
		}
		if n := s.nonceOf(common.HexToAddress(empty)); n != 0 {
			t.Fatalf("the empty address sent %d transactions", n)
		}
	})

	t.Run("more than the user holds, repeated", func(t *testing.T) {
		// 14.5 left on the user's address: 20 comes from the hot wallet, once.
		merchant := newAddress(t)
		s.Publish(payKey, payment("pay-3", "order-3", rich, merchant, "20"))
		final := waitEvent(t, c, "pay-3", "pay")
		s.Publish(payKey, payment("pay-3", "order-3", rich, merchant, "20"))
		msgs := c.WaitFor(t, "the answer again", wait, func(ms []Message) bool { return len(Find(ms, eventOf("pay-3", "pay"))) >= 2 })
		sameBodies(t, "pay-3", Find(msgs, eventOf("pay-3", "pay")))
		if final.Num("status") != 1 || final.Str("paid_from") != "hot_wallet" || s.transfersTo(merchant) != 1 {
			t.Fatalf("final: %s", final.Body)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		merchant := newAddress(t)
		for _, tc := range []struct {
			fields map[string]any
			code   string
		}{
			{payment("pay-r1", "o", newAddress(t), merchant, "1"), "invalid_address"},
			{payment("pay-r2", "o", rich, merchant, "0"), "invalid_amount"},
			{payment("pay-r3", "o", rich, "0xnope", "1"), "invalid_address"},
			{map[string]any{"request_id": "pay-r4", "from_address": rich, "to_address": merchant, "amount": "1"}, "invalid_request"},
			{payment("pay-r5", "o", empty, merchant, "999999999"), "insufficient_balance"},
		} {
			id := tc.fields["request_id"].(string)
			s.Publish(payKey, tc.fields)
			m := waitEvent(t, c, id, "pay")
			s.CheckReturn("pay.return.pay", m)
			if m.Num("status") != 0 || m.Str("error") != tc.code {
				t.Errorf("%s: got %s, want %s", id, m.Body, tc.code)
			}
		}
		if s.transfersTo(merchant) != 0 {
			t.Fatal("tokens moved")
		}
	})
}
