package app_test

import (
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/broker/brokertest"
	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/service/flowtest"
	"paysuite/pkg/service/servicetest"
	"paysuite/pkg/witness/witnesstest"
	"paysuite/services/topup/internal/app"
)

// TestTwoChains: with ETH and BSC configured, a registration for one chain
// is watched there only and reports the deposits there, in that chain's
// token decimals exactly; one for "*" gets one address watched on both and
// reports deposits on each with their chain; a repeat of it gets the same
// answer; an unconfigured chain and a token its chain does not serve are
// refused.
func TestTwoChains(t *testing.T) {
	s := flowtest.StartTwoChains(t, topup, app.Run, nil)
	// payBSC pays amount base units of BSC's test USDT to `to`.
	payBSC := func(to common.Address, amount *big.Int) events.Transfer {
		t.Helper()
		return s.BSC.PayExact([]common.Address{to}, []*big.Int{amount})[0]
	}
	lists := brokertest.Follow(t, s.Internal, events.WatchListQueue)
	register := func(id string, fields map[string]any, watched ...string) servicetest.Return {
		t.Helper()
		fields["request_id"] = id
		s.Request(fields, s.Secret, time.Now())
		r := s.Expect(id, contract.EventRegistered, contract.StatusSuccess, "")
		var got []string
		for range watched {
			l := servicetest.Open[events.AddressList](t, s.Keys, lists, "address list")
			if len(l.Addresses) != 1 || l.Addresses[0].Address != r.Str("address") || l.Addresses[0].FromBlock == nil {
				t.Fatalf("%s: address list %+v, want its address %s", id, l, r.Str("address"))
			}
			got = append(got, l.Chain)
		}
		slices.Sort(got)
		if !slices.Equal(got, watched) {
			t.Fatalf("%s: watched on %v, want %v", id, got, watched)
		}
		return r
	}
	eth := register("e-1", map[string]any{}, "ETH")
	onBSC := register("b-1", map[string]any{"chain": "BSC"}, "BSC")
	all := register("a-1", map[string]any{"chain": "*"}, "BSC", "ETH")
	for _, r := range []servicetest.Return{eth, onBSC, all} {
		if r.Str("symbol") != "USDT" {
			t.Errorf("registered %s", r.Body)
		}
	}
	if eth.Str("chain") != "ETH" || onBSC.Str("chain") != "BSC" || eth.Str("chains") != "" || onBSC.Str("chains") != "" {
		t.Fatalf("registered %s and %s", eth.Body, onBSC.Body)
	}
	if all.Str("chain") != "*" || all.Str("chains") != "ETH,BSC" {
		t.Fatalf("registered for every chain: %s", all.Body)
	}

	// A repeat, for every chain or naming one, is answered as the first time.
	for _, chain := range []string{"*", "BSC"} {
		s.Request(map[string]any{"request_id": "a-1", "chain": chain}, s.Secret, time.Now())
		if again := s.Next(); string(again.Body) != string(all.Body) {
			t.Fatalf("repeat with chain %s answered %s, want %s", chain, again.Body, all.Body)
		}
	}
	for _, r := range []struct{ id, chain, symbol, code string }{
		{"tron", "TRON", "USDT", contract.ErrUnknownChain},
		{"bsc-dai", "BSC", "DAI", contract.ErrUnknownToken},
	} {
		s.Request(map[string]any{"request_id": r.id, "chain": r.chain, "symbol": r.symbol}, s.Secret, time.Now())
		s.Expect(r.id, contract.EventRegistered, contract.StatusFailed, r.code)
	}

	// Deposits, each reported with its chain and in its token's decimals.
	deposit := func(id string, ev events.Transfer, chain, amount string) servicetest.Return {
		t.Helper()
		s.Transfer(s.Keys, ev)
		d := s.Expect(id, contract.EventDeposit, contract.StatusPending, "")
		if d.Str("chain") != chain || d.Str("amount") != amount || d.Str("symbol") != "USDT" ||
			d.Str("deposit_id") != contract.DepositID(chain, ev.TxHash, ev.LogIndex) {
			t.Fatalf("deposit %s, want %s %s on %s", d.Body, amount, ev.TxHash, chain)
		}
		return d
	}
	addr := func(r servicetest.Return) common.Address { return common.HexToAddress(r.Str("address")) }
	deposit("e-1", s.Chain.Pay([]common.Address{addr(eth)}, []int64{12_345_678})[0], "ETH", "12.345678")
	// On BSC e-1's address is nobody's: a transfer there is not reported,
	// and the next return is the next deposit's.
	s.Transfer(s.Keys, payBSC(addr(eth), big.NewInt(5)))
	deposit("b-1", payBSC(addr(onBSC), big.NewInt(1)), "BSC", "0.000000000000000001")
	large, _ := new(big.Int).SetString("123456789123456789012345678", 10)
	ev := payBSC(addr(onBSC), large)
	deposit("b-1", ev, "BSC", "123456789.123456789012345678")
	s.BSC.Mine(depth - 1)
	s.Transfer(s.Keys, witnesstest.Confirmed(ev, depth))
	if d := s.Expect("b-1", contract.EventDeposit, contract.StatusSuccess, ""); d.Str("amount") != "123456789.123456789012345678" {
		t.Fatalf("confirmed deposit %s", d.Body)
	}
	deposit("a-1", s.Chain.Pay([]common.Address{addr(all)}, []int64{1})[0], "ETH", "0.000001")
	deposit("a-1", payBSC(addr(all), big.NewInt(2)), "BSC", "0.000000000000000002")
	if n := s.Count("SELECT COUNT(*) FROM deposits WHERE chain = 'BSC'"); n != 3 {
		t.Fatalf("%d deposits on BSC recorded, want 3", n)
	}
}
