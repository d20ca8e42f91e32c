package devchaintest_test

import (
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"paysuite/pkg/devchain"
	"paysuite/pkg/devchain/devchaintest"
	"paysuite/pkg/erc20"
	"paysuite/pkg/ethtx"
)

// A funded address holds exactly the ether and test USDT it was sent, mined.
func TestFundSendsEtherAndUSDT(t *testing.T) {
	c := devchaintest.Start(t)
	to := crypto.CreateAddress(common.HexToAddress("0x00000000000000000000000000000000000f00d5"), 0)
	c.Fund(to, big.NewInt(1e18), big.NewInt(2_500_000))
	if wei, err := c.Eth.BalanceAt(t.Context(), to, nil); err != nil || wei.Cmp(big.NewInt(1e18)) != 0 {
		t.Fatalf("holds %v wei (%v), want 1 ether", wei, err)
	}
	usdt, err := ethtx.TokenBalance(t.Context(), c.Eth, common.HexToAddress(erc20.DevTokenAddress), to)
	if err != nil || usdt.Cmp(big.NewInt(2_500_000)) != 0 {
		t.Fatalf("holds %v test USDT base units (%v), want 2500000", usdt, err)
	}
}

// The background miner makes blocks until stopped, and none after.
func TestMineEveryUntilStopped(t *testing.T) {
	c := devchaintest.Start(t)
	start := c.Head()
	stop := c.MineEvery(20 * time.Millisecond)
	deadline := time.Now().Add(devchaintest.Wait)
	for c.Head() < start+3 {
		if time.Now().After(deadline) {
			t.Fatalf("no 3 blocks mined in the background within %s", devchaintest.Wait)
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	stopped := c.Head()
	if err := c.Mine(1); err != nil {
		t.Fatal(err)
	}
	if got := c.Head(); got != stopped+1 {
		t.Fatalf("head %d after one block on %d: the miner still runs", got, stopped)
	}
	stop() // a second stop, as the test's cleanup makes, is harmless
}

// A chain started afresh has another genesis than the running one.
func TestStartOtherThanHasANewGenesis(t *testing.T) {
	first := devchaintest.Start(t)
	second := devchaintest.StartOtherThan(t, first.Genesis(), devchain.Config{})
	if second.Genesis() == first.Genesis() {
		t.Fatal("the new chain has the old genesis")
	}
	if second.HTTPURL() == first.HTTPURL() {
		t.Fatalf("both chains listen on %s", first.HTTPURL())
	}
}

// A chain kept in a data folder, stopped by the test and started again,
// continues from its head; the cleanup's second stop is harmless.
func TestStartWithDataDirContinues(t *testing.T) {
	cfg := devchain.Config{DataDir: t.TempDir()}
	first := devchaintest.StartWith(t, cfg)
	if err := first.Mine(3); err != nil {
		t.Fatal(err)
	}
	before := first.Head()
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again := devchaintest.StartWith(t, cfg)
	if got := again.Head(); got != before {
		t.Fatalf("the restarted chain is at block %d, it was at %d", got, before)
	}
}
