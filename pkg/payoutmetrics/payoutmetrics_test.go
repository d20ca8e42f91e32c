package payoutmetrics

import (
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"paysuite/pkg/config/onchain"
	"paysuite/pkg/erc20"
	"paysuite/pkg/hdwallet"
	"paysuite/pkg/tokens"
)

// values gathers reg and returns each sample of family name by its one label's value.
func values(t *testing.T, reg *prometheus.Registry, name string) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			var values []string
			for _, l := range m.GetLabel() {
				values = append(values, l.GetValue())
			}
			label := strings.Join(values, "/")
			if g := m.GetGauge(); g != nil {
				out[label] = g.GetValue()
			} else {
				out[label] = m.GetCounter().GetValue()
			}
		}
	}
	return out
}

func TestMetrics(t *testing.T) {
	key0, hot, err := hdwallet.DevAccount(0)
	if err != nil {
		t.Fatal(err)
	}
	wei := new(big.Int).Mul(big.NewInt(25), new(big.Int).Exp(big.NewInt(10), big.NewInt(17), nil)) // 2.5 ETH
	sim := simulated.NewBackend(types.GenesisAlloc{hot: {Balance: wei}})
	t.Cleanup(func() { _ = sim.Close() })
	client := sim.Client()
	opts := bind.NewKeyedTransactor(key0, big.NewInt(1337))
	opts.Context = t.Context()
	token, _, err := erc20.Deploy(opts, client, []common.Address{hot}, big.NewInt(12_345_678), erc20.Decimals)
	if err != nil {
		t.Fatal(err)
	}
	sim.Commit()

	reg := prometheus.NewRegistry()
	m := New(reg, prometheus.CounterOpts{Name: "test_finals_total", Help: "test"})
	m.Final(1)
	m.Final(1)
	m.Final(0)
	if got := values(t, reg, "test_finals_total"); got["1"] != 2 || got["0"] != 1 {
		t.Errorf("final answers by status = %v, want 2 of status 1 and 1 of status 0", got)
	}

	// A token that cannot be read keeps no gauge; the others are still read.
	list := tokens.List{
		{Symbol: "USDT", Address: token, Decimals: 6},
		{Symbol: "NONE", Address: common.HexToAddress("0x00000000000000000000000000000000000000cc"), Decimals: 6},
	}
	m.readBalances(t.Context(), client, hot, onchain.Chain{Name: "BSC", NativeSymbol: "BNB", Tokens: list}, zerolog.Nop())
	got := values(t, reg, "paysuite_hot_wallet_balance")
	spent, err := client.BalanceAt(t.Context(), hot, nil) // the deployment paid gas
	if err != nil {
		t.Fatal(err)
	}
	wantETH, _ := new(big.Rat).SetFrac(spent, new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)).Float64()
	if got["BSC/BNB"] != wantETH || got["BSC/USDT"] != 12.345678 {
		t.Errorf("balance gauges = %v, want BSC/BNB %v and BSC/USDT 12.345678", got, wantETH)
	}
	if _, ok := got["BSC/NONE"]; ok {
		t.Errorf("a token without code has a gauge: %v", got)
	}
}
