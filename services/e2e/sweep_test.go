package e2e

import (
	"fmt"
	"math/big"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"paysuite/pkg/events"
	"paysuite/pkg/hdwallet"
	"paysuite/pkg/service/servicetest"
)

// sweepThreshold is the least USDT a deposit address must hold to be swept.
const sweepThreshold = "10"

// sweepEnv sweeps the suite's chain (ETH, the single-chain form) into
// collection every 200 ms.
func sweepEnv(collection string) []string {
	return []string{
		"CHAIN_ETH_COLLECTION_WALLET=" + collection,
		"CHAIN_ETH_SWEEP_THRESHOLDS=USDT=" + sweepThreshold,
		"CHAIN_ETH_SWEEP_INTERVAL=200ms",
	}
}

// sweepCrash is one crash point of the sweeps: the purpose of the send that
// dies at it and where.
type sweepCrash struct {
	purpose, at string
}

func (c sweepCrash) String() string { return c.purpose + "/" + c.at }

// TestSweepCrash kills pay with SIGKILL while it sweeps, once at each step:
// after a funding is signed, after a sweep transfer is signed, after a sweep
// transfer is broadcast but before that is recorded. Each time three deposit
// addresses hold tokens above the threshold and no coin (one more holds less
// than the threshold); after a restart every one of the three is swept
// exactly once and funded once, the collection wallet holds exactly what
// they held, and the hot wallet spent exactly the fundings and their fees.
// One chain, broker and database serve the three pay lifecycles.
func TestSweepCrash(t *testing.T) {
	s := NewSuite(t)
	stop := s.startMiner(100 * time.Millisecond)
	defer stop()
	hot := devAddress(t, payHotPath)
	points := []sweepCrash{{"sweep_fund", "after_sign"}, {"sweep", "after_sign"}, {"sweep", "after_broadcast"}}
	var all []sweptPoint
	var hotStart *big.Int
	var hotNonceStart uint64
	for i, p := range points {
		if i > 0 {
			s.signal("pay", syscall.SIGTERM)
		}
		got := s.sweepCrashAt(t, p, uint32(10*(i+1)))
		if i == 0 {
			hotStart, hotNonceStart = got.hotBefore, got.hotNonceBefore
		}
		all = append(all, got)
	}

	// Over all three lifecycles, later rounds included: nothing swept or
	// funded twice, the hot wallet paid the nine fundings and nothing else.
	var swept []string
	for _, p := range all {
		swept = append(swept, p.swept...)
		if n := s.transfersTo(p.collection); n != len(p.swept) {
			t.Errorf("%s: the collection wallet got %d transfers, want %d", p.crash, n, len(p.swept))
		}
	}
	s.checkSweptOnce(t, "all points", swept)
	if n := s.query("pay", "SELECT COUNT(*) FROM sweeps"); n != fmt.Sprint(len(swept)) {
		t.Errorf("pay's schema has %s sweeps, want %d", n, len(swept))
	}
	s.checkHotSpent(t, "all points", hot, hotStart, hotNonceStart, swept)
}

// sweptPoint is what one crash point left behind.
type sweptPoint struct {
	crash          sweepCrash
	collection     string
	swept          []string // the deposit addresses above the threshold
	hotBefore      *big.Int // the hot wallet's coin before their deposits
	hotNonceBefore uint64
}

// sweepCrashAt runs pay with the crash hook at crash, deposits to three
// fresh deposit addresses above the threshold (indexes from first on) and one
// under it, waits for pay to die at the hook, restarts it and checks that
// each address was funded once and swept once.
func (s *Suite) sweepCrashAt(t *testing.T, crash sweepCrash, first uint32) sweptPoint {
	t.Helper()
	hot := devAddress(t, payHotPath)
	collection := newAddress(t)
	env := append(sweepEnv(collection), "PAYOUT_CRASH_AT="+crash.at, "PAYOUT_CRASH_PURPOSE="+crash.purpose,
		"PAYOUT_CRASH_ONCE_FILE="+filepath.Join(t.TempDir(), "crashed"))
	s.startPayout("pay", "pay", payQueue, 1, env...)
	s.WaitConsumers(events.AddressListQueue(events.OwnerPay), 1)
	p := sweptPoint{crash: crash, collection: collection, hotBefore: s.coinBalance(hot), hotNonceBefore: s.nonceOf(hot)}

	amounts := []string{"30", "25", "20.5", "5"} // the last one stays under the threshold
	indexes := make([]uint32, len(amounts))
	addrs := make([]string, len(amounts))
	for i, amount := range amounts {
		indexes[i], addrs[i] = first+uint32(i), depositAddress(t, first+uint32(i))
		s.SendUSDT(1, addrs[i], amount)
	}
	p.swept = addrs[:3]
	under := addrs[3]
	s.announceToPay(indexes, addrs)

	s.waitExit("pay", wait)
	if !s.lastLogContains("pay", "test crash hook") {
		t.Fatalf("%s: pay exited, but not at the crash hook", crash)
	}
	// It died at the first broadcast of a send of the purpose: those stored
	// are all recorded as signed, never broadcast.
	stored := s.query("pay", "SELECT COUNT(*), COALESCE(SUM(state = 'signed' AND broadcast_at IS NULL), 0) FROM tx_sends"+
		" WHERE purpose = '"+crash.purpose+"' AND (to_address IN ("+sqlList(addrs)+") OR from_address IN ("+sqlList(addrs)+"))")
	if n, unsent, _ := strings.Cut(stored, "\t"); n == "0" || unsent != n {
		t.Fatalf("%s: at the crash pay stored %s sends of purpose %s, %s of them signed and not recorded as broadcast; want at least one, all so",
			crash, n, crash.purpose, unsent)
	}
	switch {
	case crash.at == "after_sign":
		// Signed, never broadcast: nothing of that step reaches the chain
		// while pay is down.
		s.Mine(2)
		if crash.purpose == "sweep_fund" {
			for _, a := range p.swept {
				if bal := s.coinBalance(common.HexToAddress(a)); bal.Sign() != 0 {
					t.Fatalf("%s: %s was funded (%s wei) although pay died before broadcasting", crash, a, bal)
				}
			}
			if n := s.nonceOf(hot); n != p.hotNonceBefore {
				t.Fatalf("%s: the hot wallet sent %d transactions although pay died before broadcasting", crash, n-p.hotNonceBefore)
			}
		} else if got := s.tokenBalance(collection); got.Sign() != 0 {
			t.Fatalf("%s: the collection wallet got %s although pay died before broadcasting", crash, got)
		}
	default:
		// Broadcast before the crash: the transfer is mined without pay.
		servicetest.Eventually(t, crash.String()+": the transfer broadcast before the crash mined", func() bool {
			return s.tokenBalance(collection).Sign() > 0
		})
	}

	s.startPayout("pay", "pay", payQueue, 1, env...) // the once-file keeps it from crashing again
	servicetest.Eventually(t, crash.String()+": the three addresses swept", func() bool {
		return s.query("pay", "SELECT COUNT(*) FROM sweeps WHERE state = 'done' AND address IN ("+sqlList(p.swept)+")") == "3"
	})
	// Let a few blocks and sweep rounds pass: a second funding or transfer,
	// if any, would show in the checks of TestSweepCrash's end too.
	s.Mine(confirmations + 2)

	want := new(big.Int)
	for i, a := range p.swept {
		want.Add(want, USDT(amounts[i]))
		if got := s.tokenBalance(a); got.Sign() != 0 {
			t.Errorf("%s: %s still holds %s tokens", crash, a, got)
		}
		if got := s.query("pay", "SELECT amount_units FROM sweeps WHERE address = '"+a+"'"); got != USDT(amounts[i]).String() {
			t.Errorf("%s: the sweep of %s took %s, want %s", crash, a, got, USDT(amounts[i]))
		}
	}
	if got := s.tokenBalance(collection); got.Cmp(want) != 0 {
		t.Errorf("%s: the collection wallet holds %s, want the %s swept", crash, got, want)
	}
	if n := s.transfersTo(collection); n != len(p.swept) {
		t.Errorf("%s: the collection wallet got %d transfers, want %d", crash, n, len(p.swept))
	}
	if got := s.tokenBalance(under); got.Cmp(USDT(amounts[3])) != 0 || s.nonceOf(common.HexToAddress(under)) != 0 {
		t.Errorf("%s: the address under the threshold holds %s", crash, got)
	}
	if n := s.query("pay", "SELECT COUNT(*) FROM sweeps WHERE address = '"+under+"'"); n != "0" {
		t.Errorf("%s: %s sweeps of the address under the threshold", crash, n)
	}
	s.checkSweptOnce(t, crash.String(), p.swept)
	s.checkHotSpent(t, crash.String(), hot, p.hotBefore, p.hotNonceBefore, p.swept)
	t.Logf("%s: pay died at the hook and, restarted, swept each address once; its sends (purpose, key, state, attempts):\n%s", crash,
		s.query("pay", "SELECT purpose, send_key, state, attempts FROM tx_sends WHERE to_address IN ("+sqlList(p.swept)+") OR from_address IN ("+sqlList(p.swept)+") ORDER BY id"))
	return p
}

// checkSweptOnce checks pay's rows and the chain for each of swept: one
// sweep, done; one funding and one transfer, both confirmed; the address
// sent one transaction.
func (s *Suite) checkSweptOnce(t *testing.T, what string, swept []string) {
	t.Helper()
	for _, a := range swept {
		rows := s.query("pay", "SELECT id, state, fund_rounds FROM sweeps WHERE address = '"+a+"' ORDER BY id")
		if lines := strings.Split(rows, "\n"); len(lines) != 1 || !strings.HasSuffix(lines[0], "\tdone\t1") {
			t.Errorf("%s: sweeps of %s (id, state, fund_rounds):\n%s\nwant one, done after one funding", what, a, rows)
		}
		fundings := s.query("pay", "SELECT send_key, state, value FROM tx_sends WHERE purpose = 'sweep_fund' AND to_address = '"+a+"'")
		if lines := strings.Split(fundings, "\n"); len(lines) != 1 || !strings.Contains(lines[0], "\tconfirmed\t") {
			t.Errorf("%s: fundings of %s (send_key, state, value):\n%s\nwant one, confirmed", what, a, fundings)
		}
		transfers := s.query("pay", "SELECT send_key, state FROM tx_sends WHERE purpose = 'sweep' AND from_address = '"+a+"'")
		if lines := strings.Split(transfers, "\n"); len(lines) != 1 || !strings.HasSuffix(lines[0], "\tconfirmed") {
			t.Errorf("%s: sweep transfers of %s (send_key, state):\n%s\nwant one, confirmed", what, a, transfers)
		}
		if n := s.nonceOf(common.HexToAddress(a)); n != 1 {
			t.Errorf("%s: %s sent %d transactions, want its one sweep", what, a, n)
		}
	}
}

// checkHotSpent checks that the hot wallet sent exactly one funding to each
// of swept since it held before (at nonce) and spent exactly their values
// and fees.
func (s *Suite) checkHotSpent(t *testing.T, what string, hot common.Address, before *big.Int, nonce uint64, swept []string) {
	t.Helper()
	if n := s.nonceOf(hot) - nonce; n != uint64(len(swept)) {
		sends := s.query("pay", "SELECT purpose, to_address, state FROM tx_sends WHERE from_address = '"+lowerHex(hot)+"'")
		t.Errorf("%s: the hot wallet sent %d transactions, want one funding per swept address; its sends:\n%s", what, n, sends)
	}
	cost, ok := new(big.Int).SetString(s.query("pay", "SELECT CAST(COALESCE(SUM(CAST(value AS DECIMAL(65,0)) + CAST(fee AS DECIMAL(65,0))), 0) AS CHAR)"+
		" FROM tx_sends WHERE purpose = 'sweep_fund' AND state = 'confirmed' AND to_address IN ("+sqlList(swept)+")"), 10)
	if !ok {
		t.Fatalf("%s: the fundings' cost does not read as a number", what)
	}
	if spent := new(big.Int).Sub(before, s.coinBalance(hot)); spent.Cmp(cost) != 0 {
		t.Errorf("%s: the hot wallet spent %s wei, the fundings and their fees are %s", what, spent, cost)
	}
}

// depositAddress is the deposit address at index i of the development seed,
// lowercase, as topup would allocate it.
func depositAddress(t testing.TB, i uint32) string {
	t.Helper()
	key, err := hdwallet.PrivateKeyFromMnemonic(hdwallet.DevMnemonic, fmt.Sprintf("%s/%d", hdwallet.DevDepositPath, i))
	if err != nil {
		t.Fatal(err)
	}
	return lowerHex(crypto.PubkeyToAddress(key.PublicKey))
}

// announceToPay tells pay the deposit addresses at indexes, as topup does.
func (s *Suite) announceToPay(indexes []uint32, addrs []string) {
	s.t.Helper()
	list := events.AddressList{Chain: "ETH", Owner: events.OwnerTopup}
	for i, a := range addrs {
		list.Addresses = append(list.Addresses, events.ListedAddress{Address: a, Index: &indexes[i]})
	}
	body, err := devKeys.Seal(events.AddressListKey, list)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := tryPublish(s.t.Context(), s.InternalURL, events.Exchange, events.AddressListKey, body); err != nil {
		s.t.Fatalf("announce %d deposit addresses: %v", len(addrs), err)
	}
}

// coinBalance is addr's balance of the chain's coin, in wei.
func (s *Suite) coinBalance(addr common.Address) *big.Int {
	s.t.Helper()
	bal, err := s.Eth.BalanceAt(s.t.Context(), addr, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return bal
}

// sqlList quotes addrs for an SQL IN list.
func sqlList(addrs []string) string {
	return "'" + strings.Join(addrs, "', '") + "'"
}
