package app

import (
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/rs/zerolog"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/devchain/devchaintest"
	"paysuite/pkg/erc20"
	"paysuite/pkg/ethtx"
	"paysuite/pkg/events"
	"paysuite/pkg/hdwallet"
	"paysuite/pkg/money"
	"paysuite/pkg/payoutapp"
	"paysuite/pkg/payoutapp/payoutapptest"
	"paysuite/pkg/service/servicetest"
	"paysuite/pkg/txsender"
	"paysuite/services/pay/internal/config"
	"paysuite/services/pay/internal/payouts"
	"paysuite/services/pay/internal/regas"
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
	deposits := map[string][]common.Hash{}
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
		deposits[name] = f.chain.Deposit(addrs, amounts)
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

	// The records match the chain once the listener's reports of the
	// deposits are in; then tokens leave an address behind the suite's back
	// (its key is known here), and reconcile shows exactly that.
	for name, f := range fixtures {
		s.reportDeposits(name, f.chain, deposits[name])
	}
	if out, err := s.reconcile(); err != nil || strings.Count(out, "no difference") != 2 {
		t.Fatalf("reconcile: %v\n%s", err, out)
	}
	thief := newAddress(t)
	moved := s.moveBehindTheBack(s.BSC, 0, thief, units(2, 18), units(1, 16))
	servicetest.Eventually(t, "the theft settled", func() bool { return s.BSC.Head() >= moved.BlockNumber.Uint64()+1 })
	out, err := s.reconcile()
	if err == nil {
		t.Fatalf("reconcile found no difference after the theft:\n%s", out)
	}
	gas := new(big.Int).Mul(new(big.Int).SetUint64(moved.GasUsed), moved.EffectiveGasPrice)
	coin := new(big.Int).Sub(units(1, 16), gas)
	coinLine := strings.Join([]string{strings.ToLower(addrs[0].Hex()), "BNB", "0", money.Format(money.FromBaseUnits(coin, 18)),
		"+" + money.Format(money.FromBaseUnits(coin, 18))}, " ")
	tokenLine := strings.ToLower(addrs[0].Hex()) + " USDT 5 3 -2"
	lines := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		lines[strings.Join(strings.Fields(l), " ")] = true
	}
	if !strings.Contains(out, "ETH at block") || !strings.Contains(out, "no difference") || !strings.Contains(out, "2 differences") ||
		!lines[coinLine] || !lines[tokenLine] {
		t.Fatalf("reconcile output, want ETH without difference and on BSC exactly %q and %q:\n%s", tokenLine, coinLine, out)
	}
}

// reportDeposits publishes, sealed as the chain-listener does, the confirmed
// transfer events of the deposits of hashes on chain name.
func (s *suite) reportDeposits(name string, chain *devchaintest.Chain, hashes []common.Hash) {
	s.T.Helper()
	ctx := s.T.Context()
	for _, h := range hashes {
		rcpt, err := chain.Eth.TransactionReceipt(ctx, h)
		if err != nil {
			s.T.Fatal(err)
		}
		l := rcpt.Logs[0]
		ev := events.Transfer{Kind: events.KindConfirmed, Chain: name, Symbol: "USDT", Token: strings.ToLower(l.Address.Hex()),
			TxHash: h.Hex(), LogIndex: l.Index, BlockNumber: l.BlockNumber, BlockHash: l.BlockHash.Hex(),
			From:   strings.ToLower(common.BytesToAddress(l.Topics[1].Bytes()).Hex()),
			To:     strings.ToLower(common.BytesToAddress(l.Topics[2].Bytes()).Hex()),
			Amount: new(big.Int).SetBytes(l.Data).String(), Sequence: 2}
		body, err := s.Keys.Seal(events.TransferKey(events.OwnerTopup), ev)
		if err != nil {
			s.T.Fatal(err)
		}
		if err := s.Internal.Publish(ctx, events.Exchange, events.TransferKey(events.OwnerTopup), broker.Message{Body: body}); err != nil {
			s.T.Fatal(err)
		}
	}
	servicetest.Eventually(s.T, fmt.Sprintf("pay records %d deposits on %s", len(hashes), name), func() bool {
		var n int64
		return s.DB.Model(&store.Credit{}).Where("chain = ?", name).Count(&n).Error == nil && n == int64(len(hashes))
	})
}

// reconcile runs pay reconcile, as payctl reconcile does, and returns its
// output.
func (s *suite) reconcile() (string, error) {
	s.T.Helper()
	chains, err := payoutapp.DialChains(s.T.Context(), &s.Cfg.Service, zerolog.Nop())
	if err != nil {
		s.T.Fatal(err)
	}
	defer payoutapp.CloseNodes(chains)
	var out strings.Builder
	err = reconcileCommand(s.Cfg).Run(s.T.Context(), payoutapp.CommandEnv{DB: s.DB, Chains: chains, Log: zerolog.Nop()}, nil, &out)
	return out.String(), err
}

// moveBehindTheBack gives deposit index i gas wei of the chain's coin and
// sends units of the test USDT from it to `to`, signed here with the
// address's key, and returns the transfer's receipt.
func (s *suite) moveBehindTheBack(chain *devchaintest.Chain, i uint32, to common.Address, units, gas *big.Int) *types.Receipt {
	s.T.Helper()
	ctx := s.T.Context()
	funder, _, err := hdwallet.DevAccount(7)
	if err != nil {
		s.T.Fatal(err)
	}
	key, err := hdwallet.PrivateKeyFromMnemonic(hdwallet.DevMnemonic, fmt.Sprintf("%s/%d", s.Cfg.DepositPath, i))
	if err != nil {
		s.T.Fatal(err)
	}
	gift, err := ethtx.Send(ctx, chain.Eth, funder, crypto.PubkeyToAddress(key.PublicKey), nil, gas)
	if err != nil {
		s.T.Fatal(err)
	}
	mined(s.T, chain, gift.Hash())
	tx, err := ethtx.TransferTokenWith(ctx, chain.Eth, &ethtx.Nonces{}, key, common.HexToAddress(erc20.DevTokenAddress), to, units)
	if err != nil {
		s.T.Fatal(err)
	}
	return mined(s.T, chain, tx.Hash())
}

// mined waits for the receipt of hash.
func mined(t *testing.T, chain *devchaintest.Chain, hash common.Hash) *types.Receipt {
	t.Helper()
	var rcpt *types.Receipt
	servicetest.Eventually(t, "the transaction mined", func() bool {
		var err error
		rcpt, err = chain.Eth.TransactionReceipt(t.Context(), hash)
		return err == nil
	})
	return rcpt
}

// sendOf reads the one send of purpose on the chain (fails if there are
// several).
func (s *suite) sendOf(purpose string) (txsender.Send, bool) {
	s.T.Helper()
	var sends []txsender.Send
	if err := s.DB.Where("purpose = ?", purpose).Find(&sends).Error; err != nil {
		s.T.Fatal(err)
	}
	if len(sends) > 1 {
		s.T.Fatalf("%d sends of purpose %s, want one", len(sends), purpose)
	}
	if len(sends) == 0 {
		return txsender.Send{}, false
	}
	return sends[0], true
}

// reorgOut waits until the send of purpose is mined, and replaces the blocks
// from its block up with empty ones (the chain drops the transactions of
// replaced blocks for good). It returns the hash of the block it was in.
func (s *suite) reorgOut(purpose string) string {
	s.T.Helper()
	var mined txsender.Send
	servicetest.Eventually(s.T, "the "+purpose+" send mined", func() bool {
		send, ok := s.sendOf(purpose)
		mined = send
		return ok && send.State == txsender.StateIncluded && send.BlockNumber != nil && send.BlockHash != nil
	})
	depth := int(s.ETH.Head() - *mined.BlockNumber + 1)
	if err := s.Chain.Reorg(depth); err != nil {
		s.T.Fatal(err)
	}
	return *mined.BlockHash
}

// A reorganisation removes the gas funding of a sweep, then another removes
// the sweep itself: each is sent again as it was (one send each, no second
// funding) and ends in a new block; the collection wallet gets exactly the
// deposit, and the coin spent is exactly the funding and the fees.
func TestSweepFundingAndSweepReorganisedOut(t *testing.T) {
	collection := newAddress(t)
	env := sweepSettings("ETH", collection, common.Address{}, "10", "")
	env["CONFIRMATIONS"] = "8"
	s := &suite{payoutapptest.Start[config.Config](t, service, env)}
	user := s.learn(0)
	hotBefore, err := s.Eth.BalanceAt(t.Context(), s.Hot(), nil)
	if err != nil {
		t.Fatal(err)
	}
	s.ETH.Deposit([]common.Address{user}, []*big.Int{units(50, 6)})

	fundBlock := s.reorgOut(sweeps.PurposeFund)
	sweepBlock := s.reorgOut(sweeps.PurposeSweep)
	servicetest.Eventually(t, "the sweep done", func() bool {
		rows := s.sweepsOn("ETH")
		return len(rows) == 1 && rows[0].State == store.SweepDone
	})
	fund, _ := s.sendOf(sweeps.PurposeFund)
	sweep, _ := s.sendOf(sweeps.PurposeSweep)
	if *fund.BlockHash == fundBlock || *sweep.BlockHash == sweepBlock || fund.Attempts != 1 || sweep.Attempts != 1 {
		t.Fatalf("funding in %s (was %s, %d attempts), sweep in %s (was %s, %d attempts): want each sent again as it was, in a new block",
			*fund.BlockHash, fundBlock, fund.Attempts, *sweep.BlockHash, sweepBlock, sweep.Attempts)
	}
	if got := s.TokensOf(collection); got.Cmp(units(50, 6)) != 0 {
		t.Fatalf("the collection wallet holds %s, want the 50 USDT deposited", got)
	}
	if got := s.TokensOf(user); got.Sign() != 0 {
		t.Fatalf("the deposit address still holds %s", got)
	}
	hotAfter, err := s.Eth.BalanceAt(t.Context(), s.Hot(), nil)
	if err != nil {
		t.Fatal(err)
	}
	value, fee, sweepFee := parseUnits(t, fund.Value), parseUnits(t, *fund.Fee), parseUnits(t, *sweep.Fee)
	if spent := new(big.Int).Sub(hotBefore, hotAfter); spent.Cmp(new(big.Int).Add(value, fee)) != 0 {
		t.Fatalf("the hot wallet spent %s wei, want the funding %s and its fee %s", spent, value, fee)
	}
	left, err := s.Eth.BalanceAt(t.Context(), user, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := new(big.Int).Sub(value, sweepFee); left.Cmp(want) != 0 {
		t.Fatalf("the deposit address holds %s wei, want the funding less the sweep's fee: %s", left, want)
	}
}

// A payment from a deposit address is in flight (its gas funding waits for
// its confirmations) when the address becomes due for sweeping: the sweep
// takes only what the payment leaves, and the payment is paid from the
// address.
func TestSweepLeavesWhatAPaymentNeeds(t *testing.T) {
	collection := newAddress(t)
	env := sweepSettings("ETH", collection, common.Address{}, "60", "")
	env["FUNDING_CONFIRMATIONS"] = "20"
	s := &suite{payoutapptest.Start[config.Config](t, service, env)}
	user := s.learn(0)
	merchant := s.Address("merchant")
	s.ETH.Deposit([]common.Address{user}, []*big.Int{units(50, 6)}) // under the threshold
	settled := s.ETH.Head() + 2
	servicetest.Eventually(t, "the deposit settled", func() bool { return s.ETH.Head() >= settled })

	s.Publish(s.Public, s.Cfg.Names.PayQueue, s.Request(payoutapptest.CurrentSecret, map[string]any{
		"request_id": "p-1", "order_id": "o-1", "chain": "ETH", "from_address": user.Hex(),
		"to_address": merchant.Hex(), "amount": "30"}, time.Now()))
	servicetest.Eventually(t, "the payment funding its gas", func() bool {
		var p store.Payment
		return s.DB.Where("request_id = ?", "p-1").First(&p).Error == nil && p.State == store.StateFunding
	})
	s.ETH.Deposit([]common.Address{user}, []*big.Int{units(50, 6)}) // 100 now, 30 of it the payment's
	servicetest.Eventually(t, "the sweep opened", func() bool { return len(s.sweepsOn("ETH")) == 1 })
	var p store.Payment
	if err := s.DB.Where("request_id = ?", "p-1").First(&p).Error; err != nil || p.State != store.StateFunding {
		t.Fatalf("payment %+v, %v: want it still funding when the sweep opened", p, err)
	}
	if got := s.sweepsOn("ETH")[0].AmountUnits; got != units(70, 6).String() {
		t.Fatalf("the sweep takes %s, want the 70 USDT the payment leaves", got)
	}

	r := s.Finals("p-1")["p-1"]
	if r.Int("status") != contract.StatusSuccess || r.Str("paid_from") != store.PaidFromUser {
		t.Fatalf("p-1: %s", r.Body)
	}
	servicetest.Eventually(t, "the sweep done", func() bool { return s.sweepsOn("ETH")[0].State == store.SweepDone })
	if m, c, u := s.TokensOf(merchant), s.TokensOf(collection), s.TokensOf(user); m.Cmp(units(30, 6)) != 0 ||
		c.Cmp(units(70, 6)) != 0 || u.Sign() != 0 {
		t.Fatalf("merchant %s, collection %s, deposit address %s: want 30, 70 and 0 USDT", m, c, u)
	}
	if n := s.sum("1", "tx_sends WHERE purpose IN ?", []string{payouts.PurposeFund, sweeps.PurposeFund}); n.Int64() != 2 {
		t.Fatalf("%s fundings, want one for the payment and one for the sweep", n)
	}
}

func parseUnits(t *testing.T, s string) *big.Int {
	t.Helper()
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		t.Fatalf("not a number: %q", s)
	}
	return v
}

// setTip makes the node's suggested tip the given wei: one transaction of
// that tip in each of enough blocks that the node's estimate (the 60th
// percentile of the last 20 blocks' lowest tips) is that tip.
func (s *suite) setTip(tipWei int64) {
	s.T.Helper()
	ctx := s.T.Context()
	key, from, err := hdwallet.DevAccount(7)
	if err != nil {
		s.T.Fatal(err)
	}
	chainID := big.NewInt(int64(s.Chain.ChainID()))
	signer := types.LatestSignerForChainID(chainID)
	for range 24 {
		nonce, err := s.Eth.PendingNonceAt(ctx, from)
		if err != nil {
			s.T.Fatal(err)
		}
		head, err := s.Eth.HeaderByNumber(ctx, nil)
		if err != nil {
			s.T.Fatal(err)
		}
		tip := big.NewInt(tipWei)
		tx, err := types.SignNewTx(key, signer, &types.DynamicFeeTx{ChainID: chainID, Nonce: nonce, GasTipCap: tip,
			GasFeeCap: new(big.Int).Add(tip, new(big.Int).Mul(head.BaseFee, big.NewInt(2))), Gas: 21000, To: &from})
		if err != nil {
			s.T.Fatal(err)
		}
		if err := s.Eth.SendTransaction(ctx, tx); err != nil {
			s.T.Fatal(err)
		}
		servicetest.Eventually(s.T, "the tip transaction mined", func() bool {
			_, err := s.Eth.TransactionReceipt(ctx, tx.Hash())
			return err == nil
		})
	}
	servicetest.Eventually(s.T, "the node suggesting the tip", func() bool {
		got, err := s.Eth.SuggestGasTipCap(ctx)
		return err == nil && got.Int64() == tipWei
	})
}

// While gas costs more than the chain's sweep maximum, a due address waits;
// once the price falls under it, the address is swept.
func TestSweepsWaitWhileGasCostsMore(t *testing.T) {
	collection := newAddress(t)
	env := sweepSettings("ETH", collection, common.Address{}, "10", "")
	env["CHAIN_ETH_SWEEP_MAX_GAS_GWEI"] = "5"
	s := &suite{payoutapptest.Start[config.Config](t, service, env)}
	user := s.learn(0)
	s.setTip(20 * params.GWei)
	s.ETH.Deposit([]common.Address{user}, []*big.Int{units(50, 6)})
	// Many rounds (every 200 ms) pass while the deposit settles and after.
	waited := s.ETH.Head() + 10
	servicetest.Eventually(t, "ten blocks after the deposit", func() bool { return s.ETH.Head() >= waited })
	if rows := s.sweepsOn("ETH"); len(rows) != 0 {
		t.Fatalf("%d sweeps while gas costs more than the maximum: %+v", len(rows), rows)
	}
	if tip, err := s.Eth.SuggestGasTipCap(t.Context()); err != nil || tip.Int64() != 20*params.GWei {
		t.Fatalf("the tip fell meanwhile (%v, %v): the test proves nothing", tip, err)
	}

	s.setTip(params.GWei)
	servicetest.Eventually(t, "the address swept", func() bool {
		rows := s.sweepsOn("ETH")
		return len(rows) == 1 && rows[0].State == store.SweepDone
	})
	if got := s.TokensOf(collection); got.Cmp(units(50, 6)) != 0 {
		t.Fatalf("the collection wallet holds %s, want 50 USDT", got)
	}
}

// A reorganisation removes the coin a deposit address had for its sweep's
// gas (given from outside, so the sweep was signed without a funding) along
// with the sweep: the node then refuses the sweep for lack of funds, and the
// gas keeper funds the address with what it lacks, once; the same sweep
// goes through.
func TestRefusedForFundsIsFundedAgain(t *testing.T) {
	collection := newAddress(t)
	env := sweepSettings("ETH", collection, common.Address{}, "10", "")
	env["CONFIRMATIONS"], env["REBROADCAST_AFTER"] = "8", "300ms"
	s := &suite{payoutapptest.Start[config.Config](t, service, env)}
	user := s.learn(0)
	s.ETH.Deposit([]common.Address{user}, []*big.Int{units(50, 6)})
	funder, _, err := hdwallet.DevAccount(7)
	if err != nil {
		t.Fatal(err)
	}
	gift, err := ethtx.Send(t.Context(), s.Eth, funder, user, nil, units(1, 16))
	if err != nil {
		t.Fatal(err)
	}
	given := mined(t, s.ETH, gift.Hash()).BlockNumber.Uint64()

	var sweep txsender.Send
	servicetest.Eventually(t, "the sweep mined", func() bool {
		var ok bool
		sweep, ok = s.sendOf(sweeps.PurposeSweep)
		return ok && sweep.State == txsender.StateIncluded && sweep.BlockNumber != nil
	})
	if _, funded := s.sendOf(sweeps.PurposeFund); funded {
		t.Fatal("the sweep was funded: the test needs one signed on the address's own coin")
	}
	if err := s.Chain.Reorg(int(s.ETH.Head() - given + 1)); err != nil {
		t.Fatal(err)
	}
	servicetest.Eventually(t, "the sweep done", func() bool {
		rows := s.sweepsOn("ETH")
		return len(rows) == 1 && rows[0].State == store.SweepDone
	})
	refund, ok := s.sendOf(regas.Purpose)
	if !ok || refund.Ref != sweep.Key || refund.State != txsender.StateConfirmed {
		t.Fatalf("gas funding %+v (found %v): want one, for %s, confirmed", refund, ok, sweep.Key)
	}
	done, _ := s.sendOf(sweeps.PurposeSweep)
	if done.TxHash != sweep.TxHash || done.Attempts != 1 {
		t.Fatalf("the sweep ended as %s after %d attempts, want %s sent again as it was", done.TxHash, done.Attempts, sweep.TxHash)
	}
	if got := s.TokensOf(collection); got.Cmp(units(50, 6)) != 0 {
		t.Fatalf("the collection wallet holds %s, want 50 USDT", got)
	}
}
