package devchain

import (
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/ethclient"
)

// pendingCount returns the pool's pending and queued transactions (txpool_status).
func pendingCount(t *testing.T, client *ethclient.Client) uint64 {
	t.Helper()
	var status map[string]hexutil.Uint64
	call(t, client, &status, "txpool_status")
	return uint64(status["pending"] + status["queued"])
}

func TestPoolRemoval(t *testing.T) {
	_, client := startChain(t, 0)
	to := devAddress(t, 9)
	a1 := sendEther(t, client, 2, to, big.NewInt(1))
	a2 := sendEther(t, client, 2, to, big.NewInt(2))
	b := sendEther(t, client, 3, to, big.NewInt(3))
	if n := pendingCount(t, client); n != 3 {
		t.Fatalf("pending = %d, want 3", n)
	}

	call(t, client, nil, "anvil_removePoolTransactions", devAddress(t, 2))
	if n := pendingCount(t, client); n != 1 {
		t.Errorf("pending after removing account 2's = %d, want 1", n)
	}
	for _, h := range []common.Hash{a1, a2} {
		if _, _, err := client.TransactionByHash(t.Context(), h); err == nil {
			t.Errorf("removed transaction %s still known", h)
		}
	}
	if _, pending, err := client.TransactionByHash(t.Context(), b); err != nil || !pending {
		t.Errorf("other sender's transaction: pending %v, %v", pending, err)
	}

	call(t, client, nil, "anvil_dropAllTransactions")
	if n := pendingCount(t, client); n != 0 {
		t.Errorf("pending after anvil_dropAllTransactions = %d", n)
	}
	head := headNumber(t, client)
	call(t, client, nil, "evm_mine")
	if block, err := client.BlockByNumber(t.Context(), new(big.Int).SetUint64(head+1)); err != nil || len(block.Transactions()) != 0 {
		t.Errorf("block after dropping everything: %v, %v", block, err)
	}
}

func TestCoinbaseAndHardhatAliases(t *testing.T) {
	_, client := startChain(t, 0)
	recipient := common.HexToAddress("0x00000000000000000000000000000000fee00001")
	call(t, client, nil, "anvil_setCoinbase", recipient)
	sendEther(t, client, 2, devAddress(t, 3), big.NewInt(1))
	call(t, client, nil, "hardhat_mine")
	head := headHeader(t, client)
	if head.Coinbase != recipient {
		t.Errorf("coinbase %s, want %s", head.Coinbase, recipient)
	}
	if got := etherBalance(t, client, recipient); got.Sign() <= 0 {
		t.Errorf("fee recipient balance %s, want the tips", got)
	}

	call(t, client, nil, "hardhat_setBalance", recipient, "0xde0b6b3a7640000")
	if got := etherBalance(t, client, recipient); got.Cmp(big.NewInt(1e18)) != 0 {
		t.Errorf("balance after hardhat_setBalance = %s, want 1 ether", got)
	}
	var on bool
	call(t, client, &on, "hardhat_getAutomine")
	if on {
		t.Error("hardhat_getAutomine = true on a chain mining on demand")
	}
	call(t, client, nil, "hardhat_impersonateAccount", devAddress(t, 1))
	callErr(t, client, "hardhat_impersonateAccount", recipient)
	callErr(t, client, "hardhat_setCode", recipient, "0x00")
	n := headNumber(t, client)
	call(t, client, nil, "hardhat_mine", "0x2")
	if got := headNumber(t, client); got != n+2 {
		t.Errorf("hardhat_mine(2): head %d, want %d", got, n+2)
	}
}

func TestBlockTimestampInterval(t *testing.T) {
	_, client := startChain(t, 0)
	call(t, client, nil, "anvil_setBlockTimestampInterval", 3600)
	head := headHeader(t, client)
	call(t, client, nil, "anvil_mine", 3)
	for i := int64(1); i <= 3; i++ {
		h, err := client.HeaderByNumber(t.Context(), new(big.Int).Add(head.Number, big.NewInt(i)))
		if err != nil {
			t.Fatal(err)
		}
		if want := head.Time + uint64(i)*3600; h.Time != want {
			t.Errorf("block %d at %d, want %d", h.Number, h.Time, want)
		}
	}
	var was bool
	call(t, client, &was, "anvil_removeBlockTimestampInterval")
	if !was {
		t.Error("anvil_removeBlockTimestampInterval = false with an interval set")
	}
	last := headHeader(t, client).Time
	start := time.Now().Unix()
	call(t, client, nil, "evm_mine")
	elapsed := uint64(time.Now().Unix() - start)
	if got := headHeader(t, client).Time; got <= last || got > last+1+elapsed {
		t.Errorf("block after removing the interval at %d, want the clock going on from %d", got, last)
	}
	call(t, client, &was, "anvil_removeBlockTimestampInterval")
	if was {
		t.Error("second anvil_removeBlockTimestampInterval = true")
	}
	callErr(t, client, "anvil_setBlockTimestampInterval", 0)
	callErr(t, client, "anvil_setBlockTimestampInterval", "often")
}
