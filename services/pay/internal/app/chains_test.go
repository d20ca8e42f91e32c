package app

import (
	"math/big"
	"testing"
	"time"

	"paysuite/pkg/contract"
	"paysuite/pkg/devchain"
	"paysuite/pkg/payoutapp/payoutapptest"
	"paysuite/pkg/service/servicetest"
	"paysuite/services/pay/internal/config"
	"paysuite/services/pay/internal/store"
)

// A payment on BSC from a deposit address that holds the tokens but no BNB:
// pay funds its gas from the hot wallet on BSC, then pays from it exactly
// the amount asked in BSC's 18 decimals; every send is BSC's, and the
// returns carry the chain. The same deposit address is known on each chain
// it was announced on. With the BSC node stopped, a payment on ETH is still
// paid while the one on BSC waits; a chain not configured is refused.
func TestPayOnBSCFromADepositAddress(t *testing.T) {
	s := &suite{payoutapptest.StartTwoChains[config.Config](t, service, nil)}
	user := s.learnOn("BSC", 3)
	s.learnOn("ETH", 3)
	const amount = "123456789.123456789012345678"
	units, _ := new(big.Int).SetString("123456789123456789012345678", 10)
	s.BSC.Fund(user, new(big.Int), units)
	// Deposited tokens count once they have the confirmations.
	funded := s.BSC.Head()
	servicetest.Eventually(t, "the deposit confirmed", func() bool { return s.BSC.Head() >= funded+2 })
	merchant := s.Address("merchant")

	s.Publish(s.Public, s.Cfg.Names.PayQueue, s.Request(payoutapptest.CurrentSecret, map[string]any{
		"request_id": "p-bsc", "order_id": "o-bsc", "chain": "BSC", "from_address": user.Hex(),
		"to_address": merchant.Hex(), "amount": amount}, time.Now()))
	r := s.Finals("p-bsc")["p-bsc"]
	if r.Int("status") != contract.StatusSuccess || r.Str("chain") != "BSC" || r.Str("amount") != amount ||
		r.Str("paid_from") != store.PaidFromUser {
		t.Fatalf("p-bsc: %s", r.Body)
	}
	if got := s.TokensOn(s.BSC.Eth, merchant); got.Cmp(units) != 0 {
		t.Fatalf("merchant holds %s base units on BSC, want %s", got, units)
	}
	if got := s.TokensOn(s.BSC.Eth, user); got.Sign() != 0 {
		t.Fatalf("the deposit address still holds %s on BSC", got)
	}
	var sends []struct {
		Purpose string `gorm:"column:purpose"`
		ChainID uint64 `gorm:"column:chain_id"`
		From    string `gorm:"column:from_address"`
	}
	if err := s.DB.Raw("SELECT purpose, chain_id, from_address FROM tx_sends ORDER BY id").Scan(&sends).Error; err != nil {
		t.Fatal(err)
	}
	if len(sends) != 2 || sends[0].Purpose != "fund" || sends[0].From != store.Lower(s.Hot()) ||
		sends[1].Purpose != "pay" || sends[1].From != store.Lower(user) ||
		sends[0].ChainID != devchain.BSCChainID || sends[1].ChainID != devchain.BSCChainID {
		t.Fatalf("sends %+v: want BSC's funding from the hot wallet, then the payment from the deposit address", sends)
	}

	s.Publish(s.Public, s.Cfg.Names.PayQueue, s.Request(payoutapptest.CurrentSecret, map[string]any{
		"request_id": "p-tron", "order_id": "o-tron", "chain": "TRON", "from_address": user.Hex(),
		"to_address": merchant.Hex(), "amount": "1"}, time.Now()))
	if r := s.Expect("p-tron", contract.EventPay, contract.StatusFailed); r.Str("error") != contract.ErrUnknownChain {
		t.Fatalf("p-tron: %s", r.Body)
	}

	// BSC's node stops: its payment waits (retried like any request while a
	// node is down), one on ETH is paid meanwhile, from the hot wallet there
	// (the deposit address holds nothing on ETH).
	if err := s.BSC.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct{ id, chain string }{{"p-bsc-down", "BSC"}, {"p-eth", "ETH"}} {
		s.Publish(s.Public, s.Cfg.Names.PayQueue, s.Request(payoutapptest.CurrentSecret, map[string]any{
			"request_id": p.id, "order_id": "o-" + p.id, "chain": p.chain, "from_address": user.Hex(),
			"to_address": merchant.Hex(), "amount": "2"}, time.Now()))
	}
	if r := s.Finals("p-eth")["p-eth"]; r.Int("status") != contract.StatusSuccess || r.Str("chain") != "ETH" ||
		r.Str("paid_from") != store.PaidFromHot {
		t.Fatalf("p-eth: %s", r.Body)
	}
}
