package devchain

import (
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
)

func headHeader(t *testing.T, client *ethclient.Client) *types.Header {
	t.Helper()
	h, err := client.HeaderByNumber(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// assertMinedIn fails unless the transaction hash has a successful receipt in block number.
func assertMinedIn(t *testing.T, client *ethclient.Client, hash common.Hash, number uint64) {
	t.Helper()
	r, err := client.TransactionReceipt(t.Context(), hash)
	if err != nil || r.Status != types.ReceiptStatusSuccessful || r.BlockNumber.Uint64() != number {
		t.Fatalf("receipt of %s = %+v, %v; want success in block %d", hash, r, err, number)
	}
}

// callErr makes a JSON-RPC call that must fail.
func callErr(t *testing.T, client *ethclient.Client, method string, args ...any) {
	t.Helper()
	if err := client.Client().CallContext(t.Context(), nil, method, args...); err == nil {
		t.Errorf("%s%v succeeded, want an error", method, args)
	}
}

func TestIncreaseTime(t *testing.T) {
	_, client := startChain(t, 0)
	var offset int64
	call(t, client, &offset, "evm_increaseTime", 3600)
	if offset != 3600 {
		t.Errorf("evm_increaseTime(3600) = %d, want 3600", offset)
	}
	call(t, client, &offset, "anvil_increaseTime", "0x3c")
	if offset != 3660 {
		t.Errorf("anvil_increaseTime(0x3c) = %d, want the total 3660", offset)
	}

	// The shifted timestamp applies to a block that carries pending transactions.
	pending := sendEther(t, client, 2, devAddress(t, 3), big.NewInt(1))
	before := time.Now().Unix()
	call(t, client, nil, "evm_mine")
	after := time.Now().Unix()
	head := headHeader(t, client)
	if got := int64(head.Time); got < before+3660 || got > after+3660 {
		t.Errorf("block time %d, want wall clock + 3660 in [%d, %d]", got, before+3660, after+3660)
	}
	assertMinedIn(t, client, pending, head.Number.Uint64())

	// The offset stays for the following blocks.
	before = time.Now().Unix()
	call(t, client, nil, "anvil_mine", 2)
	if got := int64(headHeader(t, client).Time); got < before+3660 {
		t.Errorf("later block time %d, want at least %d", got, before+3660)
	}

	for _, bad := range []any{"-1", "0xzz", nil, 1 << 50} {
		callErr(t, client, "evm_increaseTime", bad)
	}
	call(t, client, &offset, "evm_increaseTime", 0)
	if offset != 3660 {
		t.Errorf("offset after rejected calls = %d, want 3660", offset)
	}
}

func TestSetNextBlockTimestamp(t *testing.T) {
	_, client := startChain(t, 0)
	head := headHeader(t, client)
	target := head.Time + 100_000

	pending := sendEther(t, client, 2, devAddress(t, 3), big.NewInt(1))
	var res any = "unset"
	call(t, client, &res, "evm_setNextBlockTimestamp", target)
	if res != nil {
		t.Errorf("evm_setNextBlockTimestamp = %v, want null", res)
	}
	call(t, client, nil, "evm_mine")
	head = headHeader(t, client)
	if head.Time != target {
		t.Errorf("block time %d, want exactly %d", head.Time, target)
	}
	assertMinedIn(t, client, pending, head.Number.Uint64())

	// The clock goes on from the set timestamp.
	start := time.Now().Unix()
	call(t, client, nil, "evm_mine")
	elapsed := uint64(time.Now().Unix() - start)
	if got := headHeader(t, client).Time; got <= target || got > target+1+elapsed {
		t.Errorf("next block time %d, want in (%d, %d]", got, target, target+1+elapsed)
	}

	// Not after the head: refused, and the next block is not affected.
	head = headHeader(t, client)
	callErr(t, client, "evm_setNextBlockTimestamp", head.Time)
	callErr(t, client, "anvil_setNextBlockTimestamp", head.Time-10)
	callErr(t, client, "evm_setNextBlockTimestamp", "soon")
	call(t, client, nil, "evm_mine")
	if got := headHeader(t, client).Time; got < head.Time+1 || got > head.Time+2+elapsed {
		t.Errorf("block after refused timestamps at %d, head was at %d", got, head.Time)
	}

	// Anvil's name, as a hex string.
	head = headHeader(t, client)
	call(t, client, nil, "anvil_setNextBlockTimestamp", "0x"+big.NewInt(int64(head.Time+50)).Text(16))
	call(t, client, nil, "evm_mine")
	if got := headHeader(t, client).Time; got != head.Time+50 {
		t.Errorf("block time %d, want %d", got, head.Time+50)
	}
}

func TestMineTimestamps(t *testing.T) {
	_, client := startChain(t, 0)

	// evm_mine with a timestamp.
	head := headHeader(t, client)
	call(t, client, nil, "evm_mine", head.Time+500)
	if got := headHeader(t, client); got.Time != head.Time+500 || got.Number.Uint64() != head.Number.Uint64()+1 {
		t.Errorf("evm_mine(ts): block %d at %d, want block %d at %d", got.Number, got.Time, head.Number.Uint64()+1, head.Time+500)
	}

	// evm_mine with {timestamp, blocks}.
	head = headHeader(t, client)
	call(t, client, nil, "evm_mine", map[string]any{"timestamp": head.Time + 1000, "blocks": 3})
	end := headHeader(t, client)
	if end.Number.Uint64() != head.Number.Uint64()+3 {
		t.Fatalf("evm_mine({blocks: 3}) mined %d blocks", end.Number.Uint64()-head.Number.Uint64())
	}
	first, err := client.HeaderByNumber(t.Context(), new(big.Int).Add(head.Number, big.NewInt(1)))
	if err != nil || first.Time != head.Time+1000 {
		t.Errorf("first block of evm_mine({timestamp}) = %v, %v; want time %d", first, err, head.Time+1000)
	}
	callErr(t, client, "evm_mine", head.Time)                            // not after the head
	callErr(t, client, "evm_mine", map[string]any{"blocks": 0})          // nothing to mine
	callErr(t, client, "evm_mine", map[string]any{"timestamp": "later"}) // not a number
	if n := headNumber(t, client); n != end.Number.Uint64() {
		t.Errorf("refused evm_mine calls moved the head to %d from %d", n, end.Number)
	}

	// anvil_mine with an interval: the blocks are that far apart.
	head = headHeader(t, client)
	call(t, client, nil, "anvil_mine", 3, 100)
	prev := head.Time
	for i := int64(1); i <= 3; i++ {
		h, err := client.HeaderByNumber(t.Context(), new(big.Int).Add(head.Number, big.NewInt(i)))
		if err != nil {
			t.Fatal(err)
		}
		if i > 1 && h.Time != prev+100 {
			t.Errorf("block %d at %d, want %d (100 s after the previous)", h.Number, h.Time, prev+100)
		}
		prev = h.Time
	}
	callErr(t, client, "anvil_mine", 1, "x")
}

func TestTimeAfterReorgAndFinality(t *testing.T) {
	_, client := startChain(t, 0)
	call(t, client, nil, "evm_increaseTime", 86_400)
	call(t, client, nil, "anvil_mine", 40)
	head := headHeader(t, client)
	call(t, client, nil, "anvil_reorg", 3, []any{})
	after := headHeader(t, client)
	if after.Number.Uint64() != head.Number.Uint64() || after.Hash() == head.Hash() {
		t.Fatalf("reorg: head %d %s, was %d %s", after.Number, after.Hash(), head.Number, head.Hash())
	}
	if after.Time < uint64(time.Now().Unix())+86_400-5 {
		t.Errorf("replacement head at %d, want the clock's offset kept", after.Time)
	}

	// Finality as the simulated beacon marks it: every 32nd block finalized, the head safe.
	var final, safe *types.Header
	if err := client.Client().CallContext(t.Context(), &final, "eth_getBlockByNumber", "finalized", false); err != nil {
		t.Fatal(err)
	}
	if err := client.Client().CallContext(t.Context(), &safe, "eth_getBlockByNumber", "safe", false); err != nil {
		t.Fatal(err)
	}
	if final == nil || final.Number.Uint64() != after.Number.Uint64()/32*32 {
		t.Errorf("finalized block = %v, want %d", final, after.Number.Uint64()/32*32)
	}
	if safe == nil || safe.Hash() != after.Hash() {
		t.Errorf("safe block = %v, want the head %s", safe, after.Hash())
	}
}

// waitHead waits until the head reaches number, failing after timeout.
func waitHead(t *testing.T, client *ethclient.Client, number uint64, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for headNumber(t, client) < number {
		if time.Now().After(deadline) {
			t.Fatalf("head %d, still below %d after %s", headNumber(t, client), number, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// assertHeadStays fails if the head moves from number within d: the only way to observe that
// nothing is mined is to watch for a while.
func assertHeadStays(t *testing.T, client *ethclient.Client, number uint64, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if n := headNumber(t, client); n != number {
			t.Fatalf("head moved to %d from %d", n, number)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestIntervalMining(t *testing.T) {
	_, client := startChain(t, 0)
	automine := func() bool {
		var on bool
		call(t, client, &on, "anvil_getAutomine")
		return on
	}

	start := headNumber(t, client)
	var res any = "unset"
	call(t, client, &res, "anvil_setIntervalMining", 1)
	if res != nil {
		t.Errorf("anvil_setIntervalMining = %v, want null", res)
	}
	waitHead(t, client, start+2, 10*time.Second)

	call(t, client, nil, "evm_setIntervalMining", 0)
	stopped := headNumber(t, client)
	assertHeadStays(t, client, stopped, 2500*time.Millisecond)

	// Automine and interval mining exclude each other.
	call(t, client, nil, "evm_setAutomine", true)
	if !automine() {
		t.Fatal("anvil_getAutomine = false after evm_setAutomine(true)")
	}
	call(t, client, nil, "evm_setIntervalMining", "0x1")
	if automine() {
		t.Error("anvil_getAutomine = true after interval mining was set")
	}
	waitHead(t, client, stopped+1, 10*time.Second)
	call(t, client, nil, "anvil_setAutomine", true)
	if !automine() {
		t.Fatal("anvil_getAutomine = false after anvil_setAutomine(true)")
	}
	settled := headNumber(t, client)
	assertHeadStays(t, client, settled, 2500*time.Millisecond) // interval mining stopped, nothing sent
	hash := sendEther(t, client, 4, devAddress(t, 5), big.NewInt(1))
	waitMined(t, client, hash)

	for _, bad := range []any{"soon", -1, 100_000_000} {
		callErr(t, client, "anvil_setIntervalMining", bad)
	}
}

func TestIntervalMiningReplacesBlockPeriod(t *testing.T) {
	_, client := startChain(t, 200*time.Millisecond)
	waitHead(t, client, 3, 10*time.Second)
	call(t, client, nil, "anvil_setIntervalMining", 0)
	assertHeadStays(t, client, headNumber(t, client), 1500*time.Millisecond)
	call(t, client, nil, "anvil_setIntervalMining", 1)
	n := headNumber(t, client)
	waitHead(t, client, n+1, 10*time.Second)
}

// waitMined waits for the transaction's receipt.
func waitMined(t *testing.T, client *ethclient.Client, hash common.Hash) *types.Receipt {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := client.TransactionReceipt(t.Context(), hash)
		if err == nil {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("transaction %s not mined: %v", hash, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRevertRestoresClock(t *testing.T) {
	_, client := startChain(t, 0)
	var id hexutil.Uint64
	call(t, client, &id, "evm_snapshot")
	call(t, client, nil, "evm_increaseTime", 50_000)
	call(t, client, nil, "evm_mine")
	var ok bool
	call(t, client, &ok, "evm_revert", id)
	if !ok {
		t.Fatal("evm_revert = false")
	}
	var offset int64
	call(t, client, &offset, "evm_increaseTime", 0)
	if offset != 0 {
		t.Errorf("offset after revert = %d, want 0 (as at the snapshot)", offset)
	}
	call(t, client, nil, "evm_mine")
	// A few seconds of slack: blocks mined faster than one a second run ahead of the wall clock.
	if got, limit := headHeader(t, client).Time, uint64(time.Now().Unix())+10; got > limit {
		t.Errorf("block after revert at %d, want near the wall clock (at most %d)", got, limit)
	}
}
