package app_test

import (
	"context"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/rs/zerolog"

	"paysuite/pkg/broker/brokertest"
	"paysuite/pkg/config/onchain"
	"paysuite/pkg/contract"
	"paysuite/pkg/devchain"
	"paysuite/pkg/devchain/devchaintest"
	"paysuite/pkg/erc20"
	"paysuite/pkg/events"
	"paysuite/pkg/service/flowtest"
	"paysuite/pkg/service/servicetest"
	"paysuite/pkg/tokens"
	"paysuite/pkg/witness/witnesstest"
	"paysuite/services/topup/internal/app"
	"paysuite/services/topup/internal/config"
)

// startTwoChains runs topup on the suite's chain as ETH and on a BSC
// development chain (its USDT with 18 decimals), as CHAINS=ETH,BSC
// configures it.
func startTwoChains(t *testing.T) (*flowtest.Suite, *devchaintest.Chain) {
	t.Helper()
	bsc := devchaintest.StartWith(t, devchain.Config{ChainID: devchain.BSCChainID})
	served, err := tokens.Parse(tokens.DevBSCUSDT)
	if err != nil {
		t.Fatal(err)
	}
	s := flowtest.Start(t, topup, func(ctx context.Context, cfg config.Config, log zerolog.Logger) error {
		cfg.List[0].ChainID = devchain.ChainID // the suite's chain, as ETH
		cfg.List = append(cfg.List, onchain.Chain{Name: "BSC", ChainID: devchain.BSCChainID, RPCURL: bsc.HTTPURL(),
			Tokens: served, Confirmations: depth, Finality: onchain.FinalityConfirmations})
		return app.Run(ctx, cfg, log)
	})
	return s, bsc
}

// payBSC pays amount base units of BSC's test USDT to `to` and returns the
// listener's first event of the transfer (witnesstest pays on ETH only, in
// int64 amounts).
func payBSC(t *testing.T, bsc *devchaintest.Chain, to common.Address, amount *big.Int) events.Transfer {
	t.Helper()
	bsc.Fund(to, big.NewInt(0), amount)
	token := common.HexToAddress(erc20.DevTokenAddress)
	logs, err := bsc.Eth.FilterLogs(t.Context(), ethereum.FilterQuery{FromBlock: big.NewInt(0), Addresses: []common.Address{token},
		Topics: [][]common.Hash{{erc20.TransferEventTopic()}, nil, {common.BytesToHash(to.Bytes())}}})
	if err != nil || len(logs) == 0 {
		t.Fatalf("the transfer to %s on BSC: %d logs (%v)", to, len(logs), err)
	}
	l := logs[len(logs)-1]
	lower := func(h interface{ Hex() string }) string { return strings.ToLower(h.Hex()) }
	return events.Transfer{Kind: events.KindSeen, Chain: "BSC", Symbol: "USDT", Token: lower(token), Decimals: erc20.BSCDecimals,
		TxHash: lower(l.TxHash), LogIndex: l.Index, BlockNumber: l.BlockNumber, BlockHash: lower(l.BlockHash),
		From: lower(common.BytesToAddress(l.Topics[1].Bytes())), To: lower(to), Amount: amount.String(), Confirmations: 1, Sequence: 1}
}

// TestTwoChains: with ETH and BSC configured, a registration for one chain
// is watched there only and reports the deposits there, in that chain's
// token decimals exactly; one for "*" gets one address watched on both and
// reports deposits on each with their chain; a repeat of it gets the same
// answer; an unconfigured chain and a token its chain does not serve are
// refused.
func TestTwoChains(t *testing.T) {
	s, bsc := startTwoChains(t)
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
	s.Transfer(s.Keys, payBSC(t, bsc, addr(eth), big.NewInt(5)))
	deposit("b-1", payBSC(t, bsc, addr(onBSC), big.NewInt(1)), "BSC", "0.000000000000000001")
	large, _ := new(big.Int).SetString("123456789123456789012345678", 10)
	ev := payBSC(t, bsc, addr(onBSC), large)
	deposit("b-1", ev, "BSC", "123456789.123456789012345678")
	bsc.Mine(depth - 1)
	s.Transfer(s.Keys, witnesstest.Confirmed(ev, depth))
	if d := s.Expect("b-1", contract.EventDeposit, contract.StatusSuccess, ""); d.Str("amount") != "123456789.123456789012345678" {
		t.Fatalf("confirmed deposit %s", d.Body)
	}
	deposit("a-1", s.Chain.Pay([]common.Address{addr(all)}, []int64{1})[0], "ETH", "0.000001")
	deposit("a-1", payBSC(t, bsc, addr(all), big.NewInt(2)), "BSC", "0.000000000000000002")
	if n := s.Count("SELECT COUNT(*) FROM deposits WHERE chain = 'BSC'"); n != 3 {
		t.Fatalf("%d deposits on BSC recorded, want 3", n)
	}
}
