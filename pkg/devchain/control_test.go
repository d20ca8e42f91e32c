package devchain

import (
	"context"
	"errors"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/params"

	"paysuite/pkg/erc20"
	"paysuite/pkg/hdwallet"
)

func devAddress(t *testing.T, i int) common.Address {
	t.Helper()
	_, addr, err := hdwallet.DevAccount(i)
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

func etherBalance(t *testing.T, client *ethclient.Client, addr common.Address) *big.Int {
	t.Helper()
	b, err := client.BalanceAt(t.Context(), addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAccounts(t *testing.T) {
	c, client := startChain(t, 0)
	want := make([]common.Address, FundedAccounts)
	for i := range want {
		want[i] = devAddress(t, i)
	}
	wsClient, err := ethclient.DialContext(t.Context(), c.WSURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(wsClient.Close)
	for name, cl := range map[string]*ethclient.Client{"http": client, "ws": wsClient} {
		var got []common.Address
		call(t, cl, &got, "eth_accounts")
		if !slices.Equal(got, want) {
			t.Errorf("%s eth_accounts = %v, want %v", name, got, want)
		}
	}
	// The simulated beacon's dev API (used in process by anvil_setBalance) is not served.
	if err := client.Client().CallContext(t.Context(), nil, "dev_addWithdrawal", map[string]any{}); err == nil {
		t.Error("dev_addWithdrawal served over HTTP")
	}
	// The filter API shares the eth namespace: it must still be served.
	var filterID string
	call(t, client, &filterID, "eth_newBlockFilter")
	if filterID == "" {
		t.Error("eth_newBlockFilter returned no id")
	}
}

func TestSetBalance(t *testing.T) {
	_, client := startChain(t, 0)
	ether := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(params.Ether)) }
	fresh := common.HexToAddress("0x00000000000000000000000000000000c0ffee01")
	token := common.HexToAddress(erc20.DevTokenAddress)

	tests := []struct {
		name  string
		addr  common.Address
		param any
		want  *big.Int
	}{
		{"raise development account", devAddress(t, 3), hexutil.EncodeBig(ether(20_000)), ether(20_000)},
		{"lower development account", devAddress(t, 4), hexutil.EncodeBig(ether(1)), ether(1)},
		{"lower to zero", devAddress(t, 5), "0x0", new(big.Int)},
		{"fresh address, odd wei", fresh, "0x14d1120d7b160001", big.NewInt(1_500_000_000_000_000_001)},
		{"account 0 funded by account 1", devAddress(t, 0), hexutil.EncodeBig(ether(10_001)), ether(10_001)},
		{"contract, whole gwei", token, "1000000000000", big.NewInt(1_000_000_000_000)},
		{"unchanged", devAddress(t, 6), hexutil.EncodeBig(FundedBalance()), FundedBalance()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var res any = "unset"
			call(t, client, &res, "anvil_setBalance", tt.addr, tt.param)
			if res != nil {
				t.Errorf("anvil_setBalance = %v, want null", res)
			}
			if got := etherBalance(t, client, tt.addr); got.Cmp(tt.want) != 0 {
				t.Errorf("balance = %s, want %s", got, tt.want)
			}
		})
	}

	errTests := []struct {
		name  string
		addr  common.Address
		param any
	}{
		{"lower a foreign account", fresh, "0x1"},
		{"negative", devAddress(t, 7), "-1"},
		{"not a number", devAddress(t, 7), "0xzz"},
		{"wei below one gwei to a contract that refuses ether", token, "1000000000001"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			before := etherBalance(t, client, tt.addr)
			if err := client.Client().CallContext(t.Context(), nil, "anvil_setBalance", tt.addr, tt.param); err == nil {
				t.Error("anvil_setBalance succeeded")
			}
			if got := etherBalance(t, client, tt.addr); got.Cmp(before) != 0 {
				t.Errorf("balance changed to %s from %s", got, before)
			}
		})
	}
}

func TestSnapshotRevert(t *testing.T) {
	_, client := startChain(t, 0)
	ctx := t.Context()
	sender, receiver, bystander := devAddress(t, 1), devAddress(t, 2), devAddress(t, 5)
	start := headNumber(t, client)
	startHead, err := client.HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}

	var first, second hexutil.Uint64
	call(t, client, &first, "evm_snapshot")
	mined := sendEther(t, client, 1, receiver, big.NewInt(params.Ether))
	call(t, client, nil, "evm_mine")
	call(t, client, &second, "evm_snapshot")
	if second == first {
		t.Fatalf("two snapshots share id %s", first)
	}
	call(t, client, nil, "anvil_mine", 2)
	// Pending at the revert: stays pending.
	pending := sendEther(t, client, 5, receiver, big.NewInt(7))

	var ok bool
	call(t, client, &ok, "evm_revert", first)
	if !ok {
		t.Fatal("evm_revert of a live snapshot = false")
	}
	head, err := client.HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if head.Hash() != startHead.Hash() {
		t.Errorf("head after revert = %d %s, want %d %s", head.Number, head.Hash(), start, startHead.Hash())
	}
	if got := etherBalance(t, client, sender); got.Cmp(FundedBalance()) != 0 {
		t.Errorf("sender balance after revert = %s, want %s", got, FundedBalance())
	}
	if _, _, err := client.TransactionByHash(ctx, mined); !errors.Is(err, ethereum.NotFound) {
		t.Errorf("transaction mined after the snapshot still known: %v", err)
	}
	if _, isPending, err := client.TransactionByHash(ctx, pending); err != nil || !isPending {
		t.Errorf("pending transaction after revert: pending %v, %v", isPending, err)
	}

	// The used snapshot and the later one are gone, as is an id never handed out.
	for _, id := range []any{first, second, "0x99"} {
		call(t, client, &ok, "evm_revert", id)
		if ok {
			t.Errorf("evm_revert(%v) = true, want false", id)
		}
	}

	if first != 1 {
		t.Errorf("first snapshot id = %s, want 0x1", first)
	}

	call(t, client, nil, "evm_mine")
	if n := headNumber(t, client); n != start+1 {
		t.Errorf("head after mining on the reverted chain = %d, want %d", n, start+1)
	}
	if r, err := client.TransactionReceipt(ctx, pending); err != nil || r.BlockNumber.Uint64() != start+1 {
		t.Errorf("kept transaction receipt = %+v, %v", r, err)
	}
	assertNoReceipt(t, client, mined)
	if got := etherBalance(t, client, bystander); got.Cmp(FundedBalance()) >= 0 {
		t.Errorf("bystander balance %s: its transfer was not mined", got)
	}

	// A snapshot far behind the head: its state must still be there.
	var deep hexutil.Uint64
	call(t, client, &deep, "evm_snapshot")
	deepHead := headNumber(t, client)
	call(t, client, nil, "anvil_mine", 300)
	call(t, client, &ok, "evm_revert", deep)
	if n := headNumber(t, client); !ok || n != deepHead {
		t.Errorf("evm_revert over 300 blocks = %v, head %d; want true, %d", ok, n, deepHead)
	}
	if got := etherBalance(t, client, receiver); got.Cmp(new(big.Int).Add(FundedBalance(), big.NewInt(7))) != 0 {
		t.Errorf("receiver balance after the deep revert = %s", got)
	}
}

// sendEther sends wei from development account from to to and returns the transaction hash, leaving
// it pending.
func sendEther(t *testing.T, client *ethclient.Client, from int, to common.Address, wei *big.Int) common.Hash {
	t.Helper()
	opts := transactor(t, from)
	nonce, err := client.PendingNonceAt(t.Context(), opts.From)
	if err != nil {
		t.Fatal(err)
	}
	tip := big.NewInt(params.GWei)
	head, err := client.HeaderByNumber(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	feeCap := new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), tip)
	tx, err := opts.Signer(opts.From, types.NewTx(&types.DynamicFeeTx{
		ChainID: big.NewInt(ChainID), Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap, Gas: params.TxGas, To: &to, Value: wei,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := client.SendTransaction(t.Context(), tx); err != nil {
		t.Fatal(err)
	}
	return tx.Hash()
}

func TestAutomine(t *testing.T) {
	_, client := startChain(t, 0)
	receiver := devAddress(t, 2)

	var res any = "unset"
	call(t, client, &res, "evm_setAutomine", true)
	if res != nil {
		t.Errorf("evm_setAutomine = %v, want null", res)
	}
	call(t, client, nil, "evm_setAutomine", true) // already on: no second loop
	for range 2 {
		hash := sendEther(t, client, 3, receiver, big.NewInt(1))
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		receipt, err := bind.WaitMined(ctx, client, hash)
		cancel()
		if err != nil || receipt.Status != types.ReceiptStatusSuccessful {
			t.Fatalf("automined transaction: %+v, %v", receipt, err)
		}
	}

	call(t, client, nil, "evm_setAutomine", false)
	before := headNumber(t, client)
	hash := sendEther(t, client, 3, receiver, big.NewInt(1))
	call(t, client, nil, "evm_mine")
	// Had automine still been on, the transaction would have had a block of its own before evm_mine.
	if n := headNumber(t, client); n != before+1 {
		t.Errorf("head = %d, want %d", n, before+1)
	}
	if r, err := client.TransactionReceipt(t.Context(), hash); err != nil || r.BlockNumber.Uint64() != before+1 {
		t.Errorf("receipt = %+v, %v; want block %d", r, err, before+1)
	}
}

func TestParseBigQuantity(t *testing.T) {
	huge, _ := new(big.Int).SetString("100000000000000000000000000000000", 16)
	tests := []struct {
		raw     string
		want    *big.Int
		wantErr bool
	}{
		{`"0x0"`, new(big.Int), false},
		{`"0xDE0B6B3A7640000"`, big.NewInt(params.Ether), false},
		{`"0x100000000000000000000000000000000"`, huge, false},
		{`"1000"`, big.NewInt(1000), false},
		{`1000`, big.NewInt(1000), false},
		{`"-1"`, nil, true},
		{`"0x"`, nil, true},
		{`"12ab"`, nil, true},
		{`null`, nil, true},
		{``, nil, true},
	}
	for _, tt := range tests {
		got, err := parseBigQuantity([]byte(tt.raw))
		if (err != nil) != tt.wantErr || (err == nil && got.Cmp(tt.want) != 0) {
			t.Errorf("parseBigQuantity(%s) = %v, %v; want %v, error %v", tt.raw, got, err, tt.want, tt.wantErr)
		}
	}
}
