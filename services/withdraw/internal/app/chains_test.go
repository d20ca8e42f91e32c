package app

import (
	"maps"
	"math/big"
	"slices"
	"testing"
	"time"

	"paysuite/pkg/contract"
	"paysuite/pkg/devchain"
	"paysuite/pkg/payoutapp/payoutapptest"
	"paysuite/services/withdraw/internal/config"
)

// Withdrawals on ETH and BSC at the same time, from the one hot wallet: each
// chain pays with nonces of its own, exactly the amount asked in its token's
// decimals (18 on BSC), and the returns carry the chain. A chain or a token
// not configured is refused. With the BSC node stopped, a withdrawal on ETH
// is still paid while the one on BSC waits.
func TestWithdrawalsOnTwoChains(t *testing.T) {
	// Enough of BSC's 18-decimal USDT for the largest amount.
	s := &suite{payoutapptest.StartTwoChains[config.Config](t, service, map[string]string{"DEV_FUND_TOKENS": "200000000"})}
	merchant := s.Address("merchant")
	withdraw := func(id, chain, symbol, amount string) {
		s.Publish(s.Public, s.Cfg.Names.WithdrawQueue, s.Request(payoutapptest.CurrentSecret, map[string]any{
			"request_id": id, "chain": chain, "symbol": symbol, "to_address": merchant.Hex(), "amount": amount}, time.Now()))
	}
	paid := []struct{ id, chain, amount string }{
		{"w-eth", "ETH", "1.5"},
		{"w-bsc-tiny", "BSC", "0.000000000000000001"},
		{"w-bsc-big", "BSC", "123456789.123456789012345678"},
	}
	var ids []string
	for _, w := range paid {
		withdraw(w.id, w.chain, "USDT", w.amount)
		ids = append(ids, w.id)
	}
	finals := s.Finals(ids...)
	for _, w := range paid {
		r := finals[w.id]
		if r.Int("status") != contract.StatusSuccess || r.Str("chain") != w.chain || r.Str("amount") != w.amount || r.Str("symbol") != "USDT" {
			t.Fatalf("%s: %s", w.id, r.Body)
		}
	}
	if got := s.TokensOn(s.Eth, merchant); got.Cmp(big.NewInt(1_500_000)) != 0 {
		t.Fatalf("merchant holds %s base units on ETH, want 1500000", got)
	}
	if got := s.TokensOn(s.BSC.Eth, merchant); got.String() != "123456789123456789012345679" {
		t.Fatalf("merchant holds %s base units on BSC, want 123456789123456789012345679", got)
	}
	s.expectNonces(map[uint64][]uint64{1337: {0}, devchain.BSCChainID: {0, 1}})

	for _, c := range []struct{ id, chain, symbol, code string }{
		{"w-tron", "TRON", "USDT", contract.ErrUnknownChain},
		{"w-bsc-dai", "BSC", "DAI", contract.ErrUnknownToken},
	} {
		withdraw(c.id, c.chain, c.symbol, "1")
		if r := s.Expect(c.id, contract.EventWithdraw, contract.StatusFailed); r.Str("error") != c.code {
			t.Fatalf("%s: %s, want %s", c.id, r.Body, c.code)
		}
	}

	// BSC's node stops: its withdrawal waits (retried like any request
	// while a node is down), the one on ETH is paid meanwhile.
	if err := s.BSC.Close(); err != nil {
		t.Fatal(err)
	}
	withdraw("w-bsc-down", "BSC", "USDT", "1")
	withdraw("w-eth-2", "ETH", "USDT", "2")
	if r := s.Finals("w-eth-2")["w-eth-2"]; r.Int("status") != contract.StatusSuccess || r.Str("chain") != "ETH" {
		t.Fatalf("w-eth-2: %s", r.Body)
	}
	s.expectNonces(map[uint64][]uint64{1337: {0, 1}, devchain.BSCChainID: {0, 1}})
}

// expectNonces fails the test unless the stored sends have, on each chain
// id, the nonces of want.
func (s *suite) expectNonces(want map[uint64][]uint64) {
	s.T.Helper()
	var rows []struct {
		ChainID uint64 `gorm:"column:chain_id"`
		Nonce   uint64 `gorm:"column:nonce"`
	}
	if err := s.DB.Raw("SELECT chain_id, nonce FROM tx_sends ORDER BY chain_id, nonce").Scan(&rows).Error; err != nil {
		s.T.Fatal(err)
	}
	got := map[uint64][]uint64{}
	for _, r := range rows {
		got[r.ChainID] = append(got[r.ChainID], r.Nonce)
	}
	if !maps.EqualFunc(got, want, slices.Equal[[]uint64]) {
		s.T.Fatalf("nonces by chain id %v, want %v", got, want)
	}
}
