package app

import (
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"paysuite/pkg/broker"
	"paysuite/pkg/devchain/devchaintest"
	"paysuite/pkg/events"
	"paysuite/pkg/payoutapp/payoutapptest"
	"paysuite/pkg/service/servicetest"
	"paysuite/services/pay/internal/config"
	"paysuite/services/pay/internal/store"
	"paysuite/services/pay/internal/sweeps"
)

// sweepSettings sweeps chain name every 200 ms into collection, with the
// threshold and, when cold is not the zero address, the ceiling given in
// whole tokens.
func sweepSettings(name string, collection, cold common.Address, threshold, ceiling string) map[string]string {
	p := "CHAIN_" + name + "_"
	env := map[string]string{
		p + "COLLECTION_WALLET": collection.Hex(), p + "SWEEP_THRESHOLDS": "USDT=" + threshold,
		p + "SWEEP_INTERVAL": "200ms", p + "SWEEP_MAX_IN_FLIGHT": "25",
	}
	if cold != (common.Address{}) {
		env[p+"COLD_WALLET"], env[p+"COLLECTION_CEILINGS"] = cold.Hex(), "USDT="+ceiling
	}
	return env
}

// newAddress is a fresh address nobody holds a key of.
func newAddress(t *testing.T) common.Address {
	t.Helper()
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return crypto.PubkeyToAddress(key.PublicKey)
}

// learnMany announces deposit indexes from..to-1 on chain in one list, as
// topup does, and waits until pay knows them all.
func (s *suite) learnMany(chain string, from, to uint32) []common.Address {
	s.T.Helper()
	list := events.AddressList{Chain: chain, Owner: events.OwnerTopup}
	var addrs []common.Address
	for i := from; i < to; i++ {
		addr := s.deposit(i)
		addrs = append(addrs, addr)
		list.Addresses = append(list.Addresses, events.ListedAddress{Address: strings.ToLower(addr.Hex()), Index: &i})
	}
	body, err := s.Keys.Seal(events.AddressListKey, list)
	if err != nil {
		s.T.Fatal(err)
	}
	if err := s.Internal.Publish(s.T.Context(), events.Exchange, events.AddressListKey, broker.Message{Body: body}); err != nil {
		s.T.Fatal(err)
	}
	servicetest.Eventually(s.T, fmt.Sprintf("pay learns %d deposit addresses on %s", len(addrs), chain), func() bool {
		var n int64
		err := s.DB.Model(&store.DepositAddress{}).Where("chain = ?", chain).Count(&n).Error
		return err == nil && n >= int64(len(addrs))
	})
	return addrs
}

// sweepsOn reads the sweeps of chain.
func (s *suite) sweepsOn(chain string) []store.Sweep {
	s.T.Helper()
	var rows []store.Sweep
	if err := s.DB.Where("chain = ?", chain).Order("id").Find(&rows).Error; err != nil {
		s.T.Fatal(err)
	}
	return rows
}

// sum sums expr, whole numbers (wei, base units), over the rows of from.
func (s *suite) sum(expr, from string, args ...any) *big.Int {
	s.T.Helper()
	var sum string
	if err := s.DB.Raw("SELECT CAST(COALESCE(SUM("+expr+"), 0) AS CHAR) FROM "+from, args...).Scan(&sum).Error; err != nil {
		s.T.Fatal(err)
	}
	v, ok := new(big.Int).SetString(sum, 10)
	if !ok {
		s.T.Fatalf("sum %q", sum)
	}
	return v
}

// units is whole tokens in base units of decimals.
func units(whole int64, decimals int) *big.Int {
	return new(big.Int).Mul(big.NewInt(whole), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals)), nil))
}

// 200 deposits over 100 addresses, on ETH (6 decimals) and BSC (18): every
// address whose balance reaches the threshold is swept once, after its gas
// was funded with exactly what the sweep may cost; those under it are left
// alone. On ETH the collection wallet's ceiling sends the rest to the cold
// wallet. The collection (and cold) wallet ends with exactly what was
// swept, and the coin spent is exactly the fundings' and the sweeps' fees.
func TestSweepsOnTwoChains(t *testing.T) {
	collectETH, coldETH, collectBSC := newAddress(t), newAddress(t), newAddress(t)
	env := sweepSettings("ETH", collectETH, coldETH, "10", "1500")
	for k, v := range sweepSettings("BSC", collectBSC, common.Address{}, "10", "") {
		env[k] = v
	}
	s := &suite{payoutapptest.StartTwoChains[config.Config](t, service, env)}
	fixtures := map[string]struct {
		chain    *devchaintest.Chain
		decimals int
		collect  common.Address
	}{"ETH": {s.ETH, 6, collectETH}, "BSC": {s.BSC, 18, collectBSC}}
	// 100 addresses on both chains; each gets one deposit on each chain:
	// every fifth one 5 tokens (under the threshold), the others 10 + i.
	addrs := s.learnMany("ETH", 0, 100)
	s.learnMany("BSC", 0, 100)
	// Pay funded its hot wallet before it consumed the announcements.
	hotBefore := map[string]*big.Int{}
	for name, f := range fixtures {
		bal, err := f.chain.Eth.BalanceAt(t.Context(), s.Hot(), nil)
		if err != nil {
			t.Fatal(err)
		}
		hotBefore[name] = bal
	}
	want := map[string]*big.Int{}
	for name, f := range fixtures {
		amounts := make([]*big.Int, len(addrs))
		want[name] = new(big.Int)
		for i := range addrs {
			if i%5 == 0 {
				amounts[i] = units(5, f.decimals)
				continue
			}
			amounts[i] = units(int64(10+i), f.decimals)
			want[name].Add(want[name], amounts[i])
		}
		f.chain.Deposit(addrs, amounts)
	}

	for name := range fixtures {
		servicetest.Eventually(t, "80 addresses swept on "+name, func() bool {
			rows := s.sweepsOn(name)
			done := 0
			for _, r := range rows {
				if r.State == store.SweepDone {
					done++
				}
			}
			return done == 80
		})
	}
	for name, f := range fixtures {
		rows := s.sweepsOn(name)
		if len(rows) != 80 {
			t.Fatalf("%s: %d sweeps, want 80 (one per address above the threshold)", name, len(rows))
		}
		for i, a := range addrs {
			held := s.TokensOn(f.chain.Eth, a)
			if i%5 == 0 && held.Cmp(units(5, f.decimals)) != 0 {
				t.Fatalf("%s: address %d under the threshold holds %s, want it untouched", name, i, held)
			}
			if i%5 != 0 && held.Sign() != 0 {
				t.Fatalf("%s: swept address %d still holds %s", name, i, held)
			}
		}
		collected, cold := s.TokensOn(f.chain.Eth, f.collect), new(big.Int)
		if name == "ETH" {
			cold = s.TokensOn(f.chain.Eth, coldETH)
			if collected.Cmp(units(1500, 6)) != 0 {
				t.Fatalf("ETH: the collection wallet holds %s, want its ceiling of 1500 USDT", collected)
			}
		}
		if got := new(big.Int).Add(collected, cold); got.Cmp(want[name]) != 0 {
			t.Fatalf("%s: collection %s + cold %s = %s, want the %s deposited above the threshold", name, collected, cold, got, want[name])
		}
		if swept := s.sum("amount_units", "sweeps WHERE chain = ? AND state = 'done'", name); swept.Cmp(want[name]) != 0 {
			t.Fatalf("%s: sweeps record %s swept, want %s", name, swept, want[name])
		}

		// Gas: the hot wallet spent the fundings and their fees; the deposit
		// addresses hold what the fundings left after the sweeps' fees.
		chainID := f.chain.Chain.ChainID()
		funded := s.sum("CAST(value AS DECIMAL(65,0))", "tx_sends WHERE chain_id = ? AND purpose = ?", chainID, sweeps.PurposeFund)
		fundFees := s.sum("CAST(fee AS DECIMAL(65,0))", "tx_sends WHERE chain_id = ? AND purpose = ?", chainID, sweeps.PurposeFund)
		sweepFees := s.sum("CAST(fee AS DECIMAL(65,0))", "tx_sends WHERE chain_id = ? AND purpose = ?", chainID, sweeps.PurposeSweep)
		if recorded := s.sum("gas_wei", "sweeps WHERE chain = ?", name); recorded.Cmp(new(big.Int).Add(fundFees, sweepFees)) != 0 {
			t.Fatalf("%s: sweeps record %s wei of gas, the sends' fees are %s + %s", name, recorded, fundFees, sweepFees)
		}
		if n := s.sum("1", "tx_sends WHERE chain_id = ? AND purpose = ?", chainID, sweeps.PurposeFund); n.Int64() != 80 {
			t.Fatalf("%s: %s fundings, want one per swept address", name, n)
		}
		hotAfter, err := f.chain.Eth.BalanceAt(t.Context(), s.Hot(), nil)
		if err != nil {
			t.Fatal(err)
		}
		spent := new(big.Int).Sub(hotBefore[name], hotAfter)
		if want := new(big.Int).Add(funded, fundFees); spent.Cmp(want) != 0 {
			t.Fatalf("%s: the hot wallet spent %s wei, the fundings and their fees are %s", name, spent, want)
		}
		left := new(big.Int)
		for _, a := range addrs {
			bal, err := f.chain.Eth.BalanceAt(t.Context(), a, nil)
			if err != nil {
				t.Fatal(err)
			}
			left.Add(left, bal)
		}
		if want := new(big.Int).Sub(funded, sweepFees); left.Cmp(want) != 0 {
			t.Fatalf("%s: the deposit addresses hold %s wei, the fundings less the sweeps' fees are %s", name, left, want)
		}
	}
}
