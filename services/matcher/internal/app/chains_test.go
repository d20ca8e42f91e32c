package app_test

import (
	"fmt"
	"testing"
	"time"

	"paysuite/pkg/broker"
	"paysuite/pkg/broker/brokertest"
	"paysuite/pkg/contract"
	"paysuite/pkg/erc20"
	"paysuite/pkg/events"
	"paysuite/pkg/service/flowtest"
	"paysuite/pkg/service/servicetest"
	"paysuite/pkg/tokens"
	"paysuite/pkg/witness/witnesstest"
	"paysuite/services/matcher/internal/app"
	"paysuite/services/matcher/internal/store"
)

// daiOnETH is a token configured on ETH only.
const daiOnETH = "DAI:0x6B175474E89094C44Da98b954EedeAC495271d0F:18"

// twoChains is the matcher serving ETH (the suite's chain, USDT with 6
// decimals, and DAI) and BSC (a second development chain, USDT with 18
// decimals), as CHAINS=ETH,BSC configures it.
type twoChains struct {
	*suite
	watches <-chan broker.Delivery
}

func startTwoChains(t *testing.T) *twoChains {
	t.Helper()
	s := &twoChains{suite: &suite{flowtest.StartTwoChains(t, matcher, app.Run,
		map[string]string{"CHAIN_ETH_TOKENS": tokens.DevUSDT + "," + daiOnETH})}}
	s.watches = brokertest.Follow(t, s.Internal, events.WatchQueue)
	return s
}

// order requests an order with fields besides its ids and returns the
// created return.
func (s *twoChains) order(requestID string, fields map[string]any) servicetest.Return {
	s.T.Helper()
	req := map[string]any{"request_id": requestID, "order_id": "o-" + requestID}
	for k, v := range fields {
		req[k] = v
	}
	s.Request(req, s.Secret, time.Now())
	return s.Expect(requestID, contract.EventCreated, contract.StatusSuccess, "")
}

// payBSC pays the order of created its pay_amount of BSC's USDT; it
// returns the transfer as the listener first reports it.
func (s *twoChains) payBSC(created servicetest.Return) events.Transfer {
	s.T.Helper()
	return s.payOn(s.BSC, erc20.BSCDecimals, created)
}

// settle reports ev seen and then confirmed (mining the confirmations on
// mine), and checks both paid returns of requestID: on ev's chain, of
// paidAmount.
func (s *twoChains) settle(requestID string, ev events.Transfer, mine func(int), paidAmount string) {
	s.T.Helper()
	s.Transfer(s.Keys, ev)
	s.expectPaid(requestID, contract.StatusPending, ev.Chain, paidAmount)
	mine(depth - 1)
	s.Transfer(s.Keys, witnesstest.Confirmed(ev, depth))
	s.expectPaid(requestID, contract.StatusSuccess, ev.Chain, paidAmount)
}

func (s *twoChains) expectPaid(requestID string, status int, chain, paidAmount string) servicetest.Return {
	s.T.Helper()
	code := ""
	if status == contract.StatusFailed {
		code = contract.ErrReorged
	}
	p := s.Expect(requestID, contract.EventPaid, status, code)
	if p.Str("chain") != chain || p.Str("paid_amount") != paidAmount {
		s.T.Fatalf("paid return %s, want %s paid on %s", p.Body, paidAmount, chain)
	}
	return p
}

// TestOrdersOnTwoChains: orders on ETH and on BSC at once, each with its
// exact amount in its token's decimals; in amount mode the same amount on
// the shared address is payable on both chains (unique per chain), and a
// payment on one chain pays only the order on that chain. An unconfigured
// chain and a token not configured on the chain named are refused.
func TestOrdersOnTwoChains(t *testing.T) {
	s := startTwoChains(t)
	eth := s.order("e-1", map[string]any{"amount": "7.5"})
	bsc := s.order("b-1", map[string]any{"chain": "BSC", "amount": "123456789.123456789012345678"})
	if eth.Str("chain") != "ETH" || eth.Str("pay_amount") != "7.5" ||
		bsc.Str("chain") != "BSC" || bsc.Str("pay_amount") != "123456789.123456789012345678" {
		t.Fatalf("created returns %s and %s", eth.Body, bsc.Body)
	}
	s.settle("b-1", s.payBSC(bsc), s.BSC.Mine, "123456789.123456789012345678")
	s.settle("e-1", s.pay(eth), s.Chain.Mine, "7.5")

	ethAmount := s.order("e-2", map[string]any{"mode": "amount", "amount": "2"})
	bscAmount := s.order("b-2", map[string]any{"mode": "amount", "chain": "BSC", "amount": "2"})
	bscAgain := s.order("b-3", map[string]any{"mode": "amount", "chain": "BSC", "amount": "2"})
	if ethAmount.Str("pay_address") != bscAmount.Str("pay_address") || ethAmount.Str("pay_amount") != "2" ||
		bscAmount.Str("pay_amount") != "2" || bscAgain.Str("pay_amount") != "2.01" {
		t.Fatalf("amount-mode orders %s, %s, %s: want 2 on each chain, then 2.01 on BSC", ethAmount.Body, bscAmount.Body, bscAgain.Body)
	}
	s.settle("b-2", s.payBSC(bscAmount), s.BSC.Mine, "2")
	for id, want := range map[string]string{"e-1": store.StatePaid, "b-1": store.StatePaid, "e-2": store.StateOpen, "b-2": store.StatePaid, "b-3": store.StateOpen} {
		if st := s.state(id); st != want {
			t.Fatalf("order %s %s, want %s", id, st, want)
		}
	}

	for i, tc := range []struct{ chain, symbol, code string }{
		{"TRON", "USDT", contract.ErrUnknownChain},
		{"BSC", "DAI", contract.ErrUnknownToken},
		{"*", "WBTC", contract.ErrUnknownToken},
	} {
		id := fmt.Sprintf("r-%d", i)
		s.Request(map[string]any{"request_id": id, "order_id": id, "amount": "1", "chain": tc.chain, "symbol": tc.symbol},
			s.Secret, time.Now())
		if r := s.Expect(id, contract.EventCreated, contract.StatusFailed, tc.code); r.Str("chain") != tc.chain {
			t.Fatalf("refusal %s, want chain %s echoed", r.Body, tc.chain)
		}
	}
}

// TestOrderPayableOnEveryChain: an order with chain "*" is payable on every
// chain where its token is configured, at one address and one amount: in
// amount mode the offset makes the amount free on each of them. Paid on BSC
// it is settled; a second payment on ETH is reported too (on ETH), never
// lost. Its address-mode address is watched on each chain.
func TestOrderPayableOnEveryChain(t *testing.T) {
	s := startTwoChains(t)
	s.order("b-1", map[string]any{"mode": "amount", "chain": "BSC", "amount": "3"})
	anyChain := s.order("a-1", map[string]any{"mode": "amount", "chain": "*", "amount": "3"})
	if anyChain.Str("chain") != "*" || anyChain.Str("chains") != "ETH,BSC" || anyChain.Str("pay_amount") != "3.01" {
		t.Fatalf("created %s, want chain * on ETH,BSC, 3.01 (3 is taken on BSC)", anyChain.Body)
	}
	s.settle("a-1", s.payBSC(anyChain), s.BSC.Mine, "3.01")
	if st := s.state("a-1"); st != store.StatePaid {
		t.Fatalf("order %s after its payment on BSC", st)
	}
	s.settle("a-1", s.pay(anyChain), s.Chain.Mine, "3.01")
	if n := s.Count("SELECT COUNT(*) FROM payments p JOIN orders o ON o.id = p.order_pk WHERE o.request_id = 'a-1'"); n != 2 {
		t.Fatalf("%d payments of a-1, want 2", n)
	}

	// DAI is configured on ETH only: its "*" orders are payable there.
	if dai := s.order("a-2", map[string]any{"chain": "*", "symbol": "DAI", "amount": "1"}); dai.Str("chains") != "ETH" {
		t.Fatalf("created %s, want chains ETH", dai.Body)
	}

	heads := map[string]uint64{"ETH": s.Head(), "BSC": s.BSC.Head()}
	byAddress := s.order("a-3", map[string]any{"chain": "*", "amount": "4"})
	watched := map[string]bool{}
	for len(watched) < 2 {
		w := servicetest.Open[events.WatchAddress](t, s.Keys, s.watches, "watch request")
		if w.Address != byAddress.Str("pay_address") {
			continue // the shared address, and the address of a-2
		}
		if w.FromBlock == nil || *w.FromBlock < heads[w.Chain] {
			t.Fatalf("watch request %+v, want from_block at least %d", w, heads[w.Chain])
		}
		watched[w.Chain] = true
	}
	if !watched["ETH"] || !watched["BSC"] {
		t.Fatalf("address watched on %v, want ETH and BSC", watched)
	}
}

// TestReorgOnOneChain: a payment seen on BSC whose block a reorganisation
// of BSC replaces is reported reorged, on BSC; the order on ETH paid
// meanwhile is untouched.
func TestReorgOnOneChain(t *testing.T) {
	s := startTwoChains(t)
	bsc := s.order("b-1", map[string]any{"chain": "BSC", "amount": "0.000000000000000001"})
	eth := s.order("e-1", map[string]any{"amount": "4"})
	ev := s.payBSC(bsc)
	s.Transfer(s.Keys, ev)
	s.expectPaid("b-1", contract.StatusPending, "BSC", "0.000000000000000001")

	s.BSC.Reorg(1, ev.TxHash)
	removed := ev
	removed.Kind, removed.Sequence = events.KindRemoved, ev.Sequence+1
	s.Transfer(s.Keys, removed)
	s.expectPaid("b-1", contract.StatusFailed, "BSC", "0.000000000000000001")
	if a := s.Alert(); a.Kind != "payment_reorged" || a.Key != "b-1" {
		t.Fatalf("alert %+v", a)
	}
	s.settle("e-1", s.pay(eth), s.Chain.Mine, "4")
	if b, e := s.state("b-1"), s.state("e-1"); b != store.StateOpen || e != store.StatePaid {
		t.Fatalf("orders b-1 %s, e-1 %s after the reorg on BSC", b, e)
	}
}
