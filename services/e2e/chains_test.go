package e2e

import (
	"io"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/devchain"
	"paysuite/pkg/erc20"
	"paysuite/pkg/service/servicetest"
)

// Amounts on BSC, whose USDT has 18 decimals: the smallest one, and a large
// one that uses every decimal.
const (
	bscSmallest = "0.000000000000000001"
	bscLarge    = "123456789.123456789012345678"
)

// registerOn asks for a fresh deposit address on chain ("*": every chain)
// and returns the registered answer.
func registerOn(t *testing.T, s *Suite, c *Collector, requestID, chain string) Message {
	t.Helper()
	s.Publish(topupKey, map[string]any{"request_id": requestID, "chain": chain})
	msgs := c.WaitFor(t, "registered "+requestID, wait, func(ms []Message) bool {
		return len(Find(ms, registeredOf(requestID))) > 0
	})
	m := Find(msgs, registeredOf(requestID))[0]
	s.CheckReturn("topup.return.registered", m)
	if m.Num("status") != 1 || m.Str("address") == "" || m.Str("chain") != chain {
		t.Fatalf("registration on %s: %s", chain, m.Body)
	}
	return m
}

// balanceOn reads addr's test USDT balance on chain c, in base units.
func balanceOn(t *testing.T, c *ChainOn, addr string) *big.Int {
	t.Helper()
	bal, err := erc20.NewToken(common.HexToAddress(erc20.DevTokenAddress), c.Eth).BalanceOf(t.Context(), common.HexToAddress(addr))
	if err != nil {
		t.Fatal(err)
	}
	return bal
}

// startMinerOn mines a block on c every period until the test ends.
func (s *Suite) startMinerOn(c *ChainOn, period time.Duration) (stop func()) {
	return s.every(period, func() { _ = c.Node.Mine(1) })
}

// TestSeveralChains runs every flow on ETH and BSC at once against one
// deployment: deposits (one address per chain, and one address on every
// chain), withdrawals, a pay and orders, with amounts exact in each token's
// decimals; an unconfigured chain and a token the chain lacks are refused.
func TestSeveralChains(t *testing.T) {
	s, bsc := NewSuiteTwoChains(t)
	eth := s.On("ETH")
	s.startMinerOn(eth, 150*time.Millisecond)
	s.startMinerOn(bsc, 150*time.Millisecond)
	// BSC's withdrawal below pays more than the default development funding.
	const funding = "DEV_FUND_TOKENS=200000000"
	s.Start("chain-listener")
	s.Start("topup")
	s.StartAs("withdraw", "withdraw", funding)
	s.StartAs("pay", "pay", funding)
	s.StartAs("matcher", "matcher", haltOnRace)
	s.waitDepositConsumers(1)
	for _, q := range []string{withdrawQueue, payQueue, orderQueue} {
		s.WaitConsumers(q, 1)
	}
	topups, withdraws, pays, orders := s.Collect(topupReturn), s.Collect(withdrawReturn), s.Collect(payReturn), s.Collect(orderReturn)

	t.Run("deposits", func(t *testing.T) {
		onETH := registerOn(t, s, topups, "mc-dep-eth", "ETH").Str("address")
		onBSC := registerOn(t, s, topups, "mc-dep-bsc", "BSC").Str("address")
		all := registerOn(t, s, topups, "mc-dep-all", "*")
		if all.Str("chains") != "ETH,BSC" {
			t.Fatalf("registration on every chain: %s", all.Body)
		}
		eth.SendUSDT(1, onETH, "12.345678")
		bsc.SendUSDT(1, onBSC, bscSmallest)
		bsc.SendUSDT(2, onBSC, bscLarge)
		eth.SendUSDT(3, all.Str("address"), "7.5")
		bsc.SendUSDT(3, all.Str("address"), "7.000000000000000007")

		want := map[string]map[string]string{ // request -> chain:amount -> ""
			"mc-dep-eth": {"ETH:12.345678": ""},
			"mc-dep-bsc": {"BSC:" + bscSmallest: "", "BSC:" + bscLarge: ""},
			"mc-dep-all": {"ETH:7.5": "", "BSC:7.000000000000000007": ""},
		}
		for id, amounts := range want {
			for _, status := range []int64{2, 1} {
				got := map[string]string{}
				for _, m := range waitDeposit(t, topups, id, status, len(amounts)) {
					s.CheckReturn("topup.return.deposit", m)
					if !strings.HasPrefix(m.Str("deposit_id"), m.Str("chain")+":") {
						t.Errorf("deposit id %s of a deposit on %s", m.Str("deposit_id"), m.Str("chain"))
					}
					got[m.Str("chain")+":"+m.Str("amount")] = ""
				}
				if len(got) != len(amounts) {
					t.Fatalf("%s status %d: deposits %v, want %v", id, status, got, amounts)
				}
				for k := range amounts {
					if _, ok := got[k]; !ok {
						t.Fatalf("%s status %d: deposits %v, want %v", id, status, got, amounts)
					}
				}
			}
		}
		assertConsistent(t, topups.All())
	})

	t.Run("withdrawals", func(t *testing.T) {
		toETH, toBSC, toBSCLarge := newAddress(t), newAddress(t), newAddress(t)
		hotNonceETH, hotNonceBSC := nonceOn(t, eth, withdrawHotPath), nonceOn(t, bsc, withdrawHotPath)
		s.publishSigned(withdrawKey, []map[string]any{
			{"request_id": "mc-w-eth", "to_address": toETH, "amount": "1.5", "chain": "ETH"},
			{"request_id": "mc-w-bsc", "to_address": toBSC, "amount": bscSmallest, "chain": "BSC"},
			{"request_id": "mc-w-bsc-large", "to_address": toBSCLarge, "amount": bscLarge, "chain": "BSC"},
		})
		for id, want := range map[string]struct{ chain, amount string }{
			"mc-w-eth": {"ETH", "1.5"}, "mc-w-bsc": {"BSC", bscSmallest}, "mc-w-bsc-large": {"BSC", bscLarge},
		} {
			final := waitEvent(t, withdraws, id, "withdraw")
			s.CheckReturn("withdraw.return.withdraw", final)
			if final.Num("status") != 1 || final.Str("chain") != want.chain || final.Str("amount") != want.amount {
				t.Fatalf("%s: %s", id, final.Body)
			}
		}
		for _, c := range []struct {
			chain  *ChainOn
			to     string
			amount string
		}{{eth, toETH, "1.5"}, {bsc, toBSC, bscSmallest}, {bsc, toBSCLarge, bscLarge}} {
			if got, want := balanceOn(t, c.chain, c.to), c.chain.Units(c.amount); got.Cmp(want) != 0 {
				t.Errorf("%s on %s holds %s base units, want %s", c.to, c.chain.Name, got, want)
			}
		}
		// Each chain's hot wallet nonces count its own sends only.
		if got := nonceOn(t, eth, withdrawHotPath) - hotNonceETH; got != 1 {
			t.Errorf("the hot wallet sent %d transactions on ETH, want 1", got)
		}
		if got := nonceOn(t, bsc, withdrawHotPath) - hotNonceBSC; got != 2 {
			t.Errorf("the hot wallet sent %d transactions on BSC, want 2", got)
		}
	})

	t.Run("pay on BSC from a deposit address", func(t *testing.T) {
		user := registerOn(t, s, topups, "mc-pay-user", "BSC").Str("address")
		s.waitQuery("pay", "SELECT COUNT(*) FROM deposit_addresses WHERE address = '"+user+"'", "1")
		bsc.SendUSDT(4, user, "30")
		waitDeposit(t, topups, "mc-pay-user", 1, 1)
		merchant := newAddress(t)
		pay := payment("mc-pay", "mc-order", user, merchant, "12.000000000000000001")
		pay["chain"] = "BSC"
		s.Publish(payKey, pay)
		final := waitEvent(t, pays, "mc-pay", "pay")
		s.CheckReturn("pay.return.pay", final)
		if final.Num("status") != 1 || final.Str("chain") != "BSC" || final.Str("paid_from") != "user" || final.Str("from_address") != user {
			t.Fatalf("pay on BSC: %s", final.Body)
		}
		if got, want := balanceOn(t, bsc, merchant), bsc.Units("12.000000000000000001"); got.Cmp(want) != 0 {
			t.Fatalf("merchant holds %s, want %s", got, want)
		}
		if got, want := balanceOn(t, bsc, user), bsc.Units("17.999999999999999999"); got.Cmp(want) != 0 {
			t.Fatalf("the user's address holds %s, want %s", got, want)
		}
	})

	t.Run("orders", func(t *testing.T) {
		onETH := openOrder(t, s, orders, map[string]any{"request_id": "mc-o-eth", "order_id": "mc-o-eth", "amount": "19.99", "chain": "ETH"})
		onBSC := openOrder(t, s, orders, map[string]any{"request_id": "mc-o-bsc", "order_id": "mc-o-bsc", "amount": "5.000000000000000005", "chain": "BSC"})
		anywhere := openOrder(t, s, orders, map[string]any{"request_id": "mc-o-all", "order_id": "mc-o-all", "amount": "3", "chain": "*"})
		if anywhere.Str("chains") != "ETH,BSC" {
			t.Fatalf("order on every chain: %s", anywhere.Body)
		}
		eth.SendUSDT(5, onETH.Str("pay_address"), onETH.Str("pay_amount"))
		bsc.SendUSDT(5, onBSC.Str("pay_address"), onBSC.Str("pay_amount"))
		bsc.SendUSDT(6, anywhere.Str("pay_address"), anywhere.Str("pay_amount"))
		for id, chain := range map[string]string{"mc-o-eth": "ETH", "mc-o-bsc": "BSC", "mc-o-all": "BSC"} {
			paid := waitOrder(t, orders, "paid "+id, 1, paidOf(id, 1))[0]
			s.CheckReturn("order.return.paid", paid)
			if paid.Str("chain") != chain || paid.Str("paid_amount") != paid.Str("pay_amount") {
				t.Fatalf("%s paid: %s", id, paid.Body)
			}
		}
	})

	t.Run("unconfigured chain and token", func(t *testing.T) {
		s.Publish(withdrawKey, map[string]any{"request_id": "mc-w-tron", "to_address": newAddress(t), "amount": "1", "chain": "TRON"})
		if m := waitEvent(t, withdraws, "mc-w-tron", "withdraw"); m.Num("status") != 0 || m.Str("error") != "unknown_chain" {
			t.Fatalf("withdrawal on an unconfigured chain: %s", m.Body)
		}
		s.Publish(topupKey, map[string]any{"request_id": "mc-t-dai", "chain": "BSC", "symbol": "DAI"})
		m := topups.WaitFor(t, "refused registration", wait, func(ms []Message) bool { return len(Find(ms, registeredOf("mc-t-dai"))) > 0 })
		if r := Find(m, registeredOf("mc-t-dai"))[0]; r.Num("status") != 0 || r.Str("error") != "unknown_token" {
			t.Fatalf("registration of a token BSC lacks: %s", r.Body)
		}
	})
}

// nonceOn is the next nonce of the development key at path on chain c.
func nonceOn(t *testing.T, c *ChainOn, path string) uint64 {
	t.Helper()
	n, err := c.Eth.NonceAt(t.Context(), devAddress(t, path), nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestReorgOnOneChain reorganises BSC while ETH deposits flow: only BSC's
// pending deposit is reported reorged; ETH's is confirmed.
func TestReorgOnOneChain(t *testing.T) {
	s, bsc := NewSuiteTwoChains(t)
	eth := s.On("ETH")
	c := s.runDeposits()
	onETH := registerOn(t, s, c, "rg-eth", "ETH").Str("address")
	onBSC := registerOn(t, s, c, "rg-bsc", "BSC").Str("address")

	eth.SendUSDT(1, onETH, "2.5")
	bsc.SendUSDT(1, onBSC, bscSmallest)
	eth.Mine(1)
	bsc.Mine(1)
	waitDeposit(t, c, "rg-eth", 2, 1)
	waitDeposit(t, c, "rg-bsc", 2, 1)

	bsc.Reorg(1)
	bsc.Mine(1) // the listener sees the new fork once the chain moves on
	eth.Mine(confirmations)
	reorged := waitDeposit(t, c, "rg-bsc", 0, 1)[0]
	if reorged.Str("error") != "reorged" || reorged.Str("chain") != "BSC" {
		t.Fatalf("BSC deposit after the reorg: %s", reorged.Body)
	}
	confirmed := waitDeposit(t, c, "rg-eth", 1, 1)[0]
	if confirmed.Str("chain") != "ETH" || confirmed.Str("amount") != "2.5" {
		t.Fatalf("ETH deposit: %s", confirmed.Body)
	}
	if got := Find(c.All(), depositsOf("rg-eth", 0)); len(got) > 0 {
		t.Fatalf("an ETH deposit was reorged by BSC's reorganisation: %s", got[0].Body)
	}
	assertConsistent(t, c.All())
}

// readyz asks the service listening on addr for /readyz.
func readyz(t *testing.T, addr string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestChainNodeDown stops BSC's node for a while (20 s; a minute with
// CHAOS=full) while ETH's deposits and withdrawals go on: /readyz and a
// node_unreachable alert name BSC, ETH is served as usual, a BSC withdrawal
// asked for meanwhile waits; with the node back (its chain kept in its data
// folder) BSC catches up: the deposit seen before the outage is confirmed,
// the waiting withdrawal is paid, and a new deposit is reported.
func TestChainNodeDown(t *testing.T) {
	down := 20 * time.Second
	if chaosFull {
		down = time.Minute
	}
	s := NewSuite(t)
	eth := s.On("ETH")
	bscCfg := devchain.Config{ChainID: devchain.BSCChainID, DataDir: t.TempDir(),
		HTTPAddr: servicetest.FreeAddr(t), WSAddr: servicetest.FreeAddr(t)}
	bsc := s.AddChain("BSC", startChain(t, bscCfg), devchain.BSCChainID)
	s.startMinerOn(eth, 150*time.Millisecond)
	stopBSC := s.startMinerOn(bsc, 150*time.Millisecond)
	listenerOps := servicetest.FreeAddr(t)
	s.Start("chain-listener", "HTTP_ADDR="+listenerOps, "MAX_LAG_ALERT_AFTER=2s")
	s.Start("topup")
	s.StartAs("withdraw", "withdraw")
	s.waitDepositConsumers(1)
	s.WaitConsumers(withdrawQueue, 1)
	topups, withdraws, alerts := s.Collect(topupReturn), s.Collect(withdrawReturn), s.Collect(alertQueue)

	onETH := registerOn(t, s, topups, "nd-eth", "ETH").Str("address")
	onBSC := registerOn(t, s, topups, "nd-bsc", "BSC").Str("address")
	bsc.SendUSDT(1, onBSC, bscSmallest)
	waitDeposit(t, topups, "nd-bsc", 2, 1)

	// BSC's node stops, its chain kept in its data folder.
	stopBSC()
	if err := bsc.Node.Close(); err != nil {
		t.Fatal(err)
	}
	downAt := time.Now()
	toBSC := newAddress(t)
	const bscPayout = "12345.123456789012345678"
	s.Publish(withdrawKey, map[string]any{"request_id": "nd-w-bsc", "to_address": toBSC, "amount": bscPayout, "chain": "BSC"})

	// ETH goes on.
	eth.SendUSDT(1, onETH, "3.25")
	if m := waitDeposit(t, topups, "nd-eth", 1, 1)[0]; m.Str("amount") != "3.25" {
		t.Fatalf("ETH deposit during BSC's outage: %s", m.Body)
	}
	toETH := newAddress(t)
	s.Publish(withdrawKey, map[string]any{"request_id": "nd-w-eth", "to_address": toETH, "amount": "2.5", "chain": "ETH"})
	if m := waitEvent(t, withdraws, "nd-w-eth", "withdraw"); m.Num("status") != 1 {
		t.Fatalf("ETH withdrawal during BSC's outage: %s", m.Body)
	}
	servicetest.Eventually(t, "/readyz failing for BSC", func() bool {
		code, body := readyz(t, listenerOps)
		return code == http.StatusServiceUnavailable && strings.Contains(body, "BSC: its node does not answer") && !strings.Contains(body, "ETH:")
	})
	alerts.WaitFor(t, "node_unreachable on BSC", wait, func(ms []Message) bool {
		return len(Find(ms, func(m Message) bool { return m.Str("kind") == "node_unreachable" && m.Str("chain") == "BSC" })) > 0
	})
	if got := Find(alerts.All(), func(m Message) bool { return m.Str("kind") == "node_unreachable" && m.Str("chain") != "BSC" }); len(got) > 0 {
		t.Fatalf("an alert about another chain's node: %s", got[0].Body)
	}
	if got := Find(withdraws.All(), eventOf("nd-w-bsc", "withdraw")); len(got) > 0 {
		t.Fatalf("the BSC withdrawal was answered while its node was down: %s", got[0].Body)
	}
	time.Sleep(time.Until(downAt.Add(down))) // the outage lasts its full length

	// The node is back with its chain: BSC catches up.
	bsc.Node = startChain(t, bscCfg)
	s.startMinerOn(bsc, 150*time.Millisecond)
	t.Logf("BSC's node was down for %s", time.Since(downAt).Round(time.Second))
	if m := waitDeposit(t, topups, "nd-bsc", 1, 1)[0]; m.Str("amount") != bscSmallest || m.Str("chain") != "BSC" {
		t.Fatalf("BSC deposit seen before the outage: %s", m.Body)
	}
	if m := waitEvent(t, withdraws, "nd-w-bsc", "withdraw"); m.Num("status") != 1 || m.Str("amount") != bscPayout {
		t.Fatalf("BSC withdrawal asked for during the outage: %s", m.Body)
	}
	if got, want := balanceOn(t, bsc, toBSC), bsc.Units(bscPayout); got.Cmp(want) != 0 {
		t.Fatalf("the BSC recipient holds %s, want %s", got, want)
	}
	bsc.SendUSDT(2, onBSC, "4.000000000000000004")
	if ms := waitDeposit(t, topups, "nd-bsc", 1, 2); len(ms) != 2 {
		t.Fatalf("BSC deposits after the outage: %d", len(ms))
	}
	servicetest.Eventually(t, "/readyz passing again", func() bool {
		code, _ := readyz(t, listenerOps)
		return code == http.StatusOK
	})
	assertConsistent(t, topups.All())
}
