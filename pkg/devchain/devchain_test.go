package devchain

import (
	"context"
	"errors"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/rs/zerolog"

	"paysuite/pkg/erc20"
	"paysuite/pkg/hdwallet"
)

// startChain starts a chain on free ports (HTTP and WebSocket on one port) and closes it with the test.
func startChain(t *testing.T, period time.Duration) (*Chain, *ethclient.Client) {
	t.Helper()
	return startChainConfig(t, Config{HTTPAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0", BlockPeriod: period})
}

// startChainConfig starts a chain with cfg and closes it with the test.
func startChainConfig(t *testing.T, cfg Config) (*Chain, *ethclient.Client) {
	t.Helper()
	c, err := Start(t.Context(), cfg, zerolog.New(zerolog.NewTestWriter(t)))
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	client, err := ethclient.DialContext(t.Context(), c.HTTPURL())
	if err != nil {
		t.Fatalf("dial %s: %v", c.HTTPURL(), err)
	}
	t.Cleanup(client.Close)
	return c, client
}

// transactor returns signing options for development account i.
func transactor(t *testing.T, i int) *bind.TransactOpts {
	t.Helper()
	return transactorFor(t, i, ChainID)
}

// transactorFor signs as development account i for the chain with id chainID.
func transactorFor(t *testing.T, i int, chainID int64) *bind.TransactOpts {
	t.Helper()
	key, _, err := hdwallet.DevAccount(i)
	if err != nil {
		t.Fatal(err)
	}
	opts := bind.NewKeyedTransactor(key, big.NewInt(chainID))
	opts.Context = t.Context()
	return opts
}

// call makes a raw JSON-RPC call and fails the test on error.
func call(t *testing.T, client *ethclient.Client, result any, method string, args ...any) {
	t.Helper()
	if err := client.Client().CallContext(t.Context(), result, method, args...); err != nil {
		t.Fatalf("%s: %v", method, err)
	}
}

func headNumber(t *testing.T, client *ethclient.Client) uint64 {
	t.Helper()
	n, err := client.BlockNumber(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func balance(t *testing.T, token *erc20.Token, owner common.Address) *big.Int {
	t.Helper()
	b, err := token.BalanceOf(t.Context(), owner)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGenesisAndToken(t *testing.T) {
	_, client := startChain(t, 0)
	ctx := t.Context()

	id, err := client.ChainID(ctx)
	if err != nil || id.Int64() != ChainID {
		t.Fatalf("ChainID() = %v, %v", id, err)
	}
	if n := headNumber(t, client); n != 1 {
		t.Errorf("head after start = %d, want 1 (token deployment)", n)
	}
	tokenAddr := common.HexToAddress(erc20.DevTokenAddress)
	code, err := client.CodeAt(ctx, tokenAddr, nil)
	if err != nil || len(code) == 0 {
		t.Fatalf("no code at %s: %v", tokenAddr, err)
	}
	token := erc20.NewToken(tokenAddr, client)
	for i := range FundedAccounts {
		_, addr, err := hdwallet.DevAccount(i)
		if err != nil {
			t.Fatal(err)
		}
		if got := balance(t, token, addr); got.Cmp(TokenAmountEach(ChainID)) != 0 {
			t.Errorf("account %d USDT = %s, want %s", i, got, TokenAmountEach(ChainID))
		}
		if i == 0 {
			continue // paid the deployment gas
		}
		wei, err := client.BalanceAt(ctx, addr, nil)
		if err != nil || wei.Cmp(FundedBalance()) != 0 {
			t.Errorf("account %d ETH = %s, %v; want %s", i, wei, err, FundedBalance())
		}
	}
	supply, err := token.TotalSupply(ctx)
	if err != nil || supply.Cmp(new(big.Int).Mul(TokenAmountEach(ChainID), big.NewInt(FundedAccounts))) != 0 {
		t.Errorf("TotalSupply() = %s, %v", supply, err)
	}
	var netVersion string
	call(t, client, &netVersion, "net_version")
	if netVersion != "1337" {
		t.Errorf("net_version = %s", netVersion)
	}
}

func TestTransferLogsAndMining(t *testing.T) {
	_, client := startChain(t, 0)
	ctx := t.Context()
	token := erc20.NewToken(common.HexToAddress(erc20.DevTokenAddress), client)
	_, to, err := hdwallet.DevAccount(2)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := token.Transfer(transactor(t, 1), to, big.NewInt(7_000_000))
	if err != nil {
		t.Fatal(err)
	}
	var mined string
	call(t, client, &mined, "evm_mine")
	if mined != "0x0" {
		t.Errorf("evm_mine = %q", mined)
	}
	receipt, err := client.TransactionReceipt(ctx, tx.Hash())
	if err != nil {
		t.Fatalf("receipt: %v", err)
	}
	if receipt.BlockNumber.Uint64() != 2 {
		t.Errorf("transfer mined in block %s, want 2", receipt.BlockNumber)
	}
	logs, err := client.FilterLogs(ctx, ethereum.FilterQuery{
		FromBlock: big.NewInt(2),
		Addresses: []common.Address{token.Address()},
		Topics:    [][]common.Hash{{erc20.TransferEventTopic()}},
	})
	if err != nil {
		t.Fatalf("eth_getLogs: %v", err)
	}
	if len(logs) != 1 || logs[0].TxHash != tx.Hash() {
		t.Fatalf("eth_getLogs = %+v, want the transfer %s", logs, tx.Hash())
	}
	ev, err := token.ParseTransfer(&logs[0])
	if err != nil || ev.To != to || ev.Value.Int64() != 7_000_000 {
		t.Errorf("transfer log = %+v, %v", ev, err)
	}

	tests := []struct {
		name string
		args []any
		want uint64
	}{
		{"number", []any{5}, 5},
		{"hex string", []any{"0x3"}, 3},
		{"default", nil, 1},
	}
	for _, tt := range tests {
		before := headNumber(t, client)
		call(t, client, nil, "anvil_mine", tt.args...)
		if got := headNumber(t, client) - before; got != tt.want {
			t.Errorf("anvil_mine %s advanced %d blocks, want %d", tt.name, got, tt.want)
		}
	}
	if err := client.Client().CallContext(ctx, nil, "anvil_mine", "zz"); err == nil {
		t.Error("anvil_mine with a bad count succeeded")
	}
}

func TestReorg(t *testing.T) {
	c, client := startChain(t, 0)
	ctx := t.Context()
	wsClient, err := ethclient.DialContext(ctx, c.WSURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(wsClient.Close)
	token := erc20.NewToken(common.HexToAddress(erc20.DevTokenAddress), client)
	_, to, err := hdwallet.DevAccount(5)
	if err != nil {
		t.Fatal(err)
	}
	logCh := make(chan types.Log, 16)
	sub, err := wsClient.SubscribeFilterLogs(ctx, ethereum.FilterQuery{
		Addresses: []common.Address{token.Address()},
		Topics:    [][]common.Hash{{erc20.TransferEventTopic()}},
	}, logCh)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()

	call(t, client, nil, "evm_mine") // block 2
	before := balance(t, token, to)
	tx, err := token.Transfer(transactor(t, 4), to, big.NewInt(1_000_000))
	if err != nil {
		t.Fatal(err)
	}
	call(t, client, nil, "evm_mine") // block 3 holds the transfer
	receipt, err := client.TransactionReceipt(ctx, tx.Hash())
	if err != nil || receipt.BlockNumber.Uint64() != 3 {
		t.Fatalf("transfer receipt = %+v, %v", receipt, err)
	}
	oldHead, err := client.HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	oldBlock2, err := client.HeaderByNumber(ctx, big.NewInt(2))
	if err != nil {
		t.Fatal(err)
	}
	if got := waitLog(t, logCh); got.TxHash != tx.Hash() || got.Removed {
		t.Fatalf("log before reorg = %+v", got)
	}

	// A transaction still pending at the reorg must survive it.
	pendingTx, err := token.Transfer(transactor(t, 6), to, big.NewInt(2_000_000))
	if err != nil {
		t.Fatal(err)
	}

	if err := client.Client().CallContext(ctx, nil, "anvil_reorg", 3, []any{}); err == nil {
		t.Error("anvil_reorg reaching block 1 succeeded")
	}
	if err := client.Client().CallContext(ctx, nil, "anvil_reorg", 1, []any{map[string]any{"x": 1}}); err == nil {
		t.Error("anvil_reorg with transactions succeeded")
	}
	call(t, client, nil, "anvil_reorg", 2, []any{})

	newHead, err := client.HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if newHead.Number.Cmp(oldHead.Number) != 0 {
		t.Errorf("head after reorg = %s, want %s", newHead.Number, oldHead.Number)
	}
	if newHead.Hash() == oldHead.Hash() {
		t.Error("head hash unchanged by reorg")
	}
	newBlock2, err := client.HeaderByNumber(ctx, big.NewInt(2))
	if err != nil {
		t.Fatal(err)
	}
	if newBlock2.Hash() == oldBlock2.Hash() {
		t.Error("block 2 hash unchanged by reorg")
	}
	if _, err := client.HeaderByHash(ctx, oldHead.Hash()); err == nil {
		// The old block may still be stored as a side block, but it must not be canonical.
		canon, err := client.HeaderByNumber(ctx, oldHead.Number)
		if err != nil || canon.Hash() == oldHead.Hash() {
			t.Error("old head still canonical")
		}
	}
	assertNoReceipt(t, client, tx.Hash())
	if got := balance(t, token, to); got.Cmp(before) != 0 {
		t.Errorf("recipient balance after reorg = %s, want %s", got, before)
	}
	if got := waitLog(t, logCh); got.TxHash != tx.Hash() || !got.Removed {
		t.Errorf("log after reorg = %+v, want the transfer marked removed", got)
	}
	if _, isPending, err := client.TransactionByHash(ctx, pendingTx.Hash()); err != nil || !isPending {
		t.Errorf("transaction pending before the reorg: pending=%v, %v", isPending, err)
	}

	call(t, client, nil, "anvil_mine", 3)
	if got := headNumber(t, client); got != oldHead.Number.Uint64()+3 {
		t.Errorf("head = %d, want %d", got, oldHead.Number.Uint64()+3)
	}
	assertNoReceipt(t, client, tx.Hash())
	if _, _, err := client.TransactionByHash(ctx, tx.Hash()); !errors.Is(err, ethereum.NotFound) {
		t.Errorf("removed transaction still known: %v", err)
	}
	if r, err := client.TransactionReceipt(ctx, pendingTx.Hash()); err != nil || r.Status != types.ReceiptStatusSuccessful {
		t.Errorf("pending transaction not mined after reorg: %+v, %v", r, err)
	}
	want := new(big.Int).Add(before, big.NewInt(2_000_000))
	if got := balance(t, token, to); got.Cmp(want) != 0 {
		t.Errorf("recipient balance = %s, want %s", got, want)
	}

	// The chain package API gives the same guarantees.
	if err := c.Reorg(int(headNumber(t, client))); err == nil {
		t.Error("Reorg down to genesis succeeded")
	}
	if err := c.Reorg(0); err == nil {
		t.Error("Reorg(0) succeeded")
	}
}

func waitLog(t *testing.T, ch <-chan types.Log) types.Log {
	t.Helper()
	select {
	case l := <-ch:
		return l
	case <-time.After(10 * time.Second):
		t.Fatal("no log received")
	case <-t.Context().Done():
		t.Fatal(t.Context().Err())
	}
	return types.Log{}
}

func assertNoReceipt(t *testing.T, client *ethclient.Client, hash common.Hash) {
	t.Helper()
	if r, err := client.TransactionReceipt(t.Context(), hash); !errors.Is(err, ethereum.NotFound) {
		t.Errorf("receipt of %s = %+v, %v; want not found", hash, r, err)
	}
}

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func TestNewHeadsOverWebSocket(t *testing.T) {
	// WebSocket on its own port, as in the default configuration.
	wsAddr := freeAddr(t)
	c, client := startChainConfig(t, Config{HTTPAddr: "127.0.0.1:0", WSAddr: wsAddr})
	if c.WSURL() != "ws://"+wsAddr || c.HTTPURL() == "http://"+wsAddr {
		t.Errorf("HTTPURL() = %s, WSURL() = %s; want WebSocket on %s", c.HTTPURL(), c.WSURL(), wsAddr)
	}
	ws, err := ethclient.DialContext(t.Context(), c.WSURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ws.Close)
	heads := make(chan *types.Header, 16)
	sub, err := ws.SubscribeNewHead(t.Context(), heads)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	call(t, client, nil, "anvil_mine", 2)
	for want := uint64(2); want <= 3; want++ {
		select {
		case h := <-heads:
			if h.Number.Uint64() != want {
				t.Errorf("head %d, want %d", h.Number, want)
			}
		case err := <-sub.Err():
			t.Fatal(err)
		case <-time.After(10 * time.Second):
			t.Fatalf("no head %d", want)
		}
	}
}

func TestDropTransaction(t *testing.T) {
	_, client := startChain(t, 0)
	ctx := t.Context()
	token := erc20.NewToken(common.HexToAddress(erc20.DevTokenAddress), client)
	_, to, err := hdwallet.DevAccount(8)
	if err != nil {
		t.Fatal(err)
	}
	dropped, err := token.Transfer(transactor(t, 7), to, big.NewInt(1))
	if err != nil {
		t.Fatal(err)
	}
	kept, err := token.Transfer(transactor(t, 9), to, big.NewInt(2))
	if err != nil {
		t.Fatal(err)
	}
	if _, isPending, err := client.TransactionByHash(ctx, dropped.Hash()); err != nil || !isPending {
		t.Fatalf("transaction not pending: %v, %v", isPending, err)
	}
	var res any = "unset"
	call(t, client, &res, "anvil_dropTransaction", dropped.Hash())
	if res != nil {
		t.Errorf("anvil_dropTransaction = %v, want null", res)
	}
	if _, _, err := client.TransactionByHash(ctx, dropped.Hash()); !errors.Is(err, ethereum.NotFound) {
		t.Errorf("dropped transaction still known: %v", err)
	}
	call(t, client, nil, "anvil_dropTransaction", common.Hash{1}) // unknown: no error
	call(t, client, nil, "evm_mine")
	assertNoReceipt(t, client, dropped.Hash())
	if r, err := client.TransactionReceipt(ctx, kept.Hash()); err != nil || r.Status != types.ReceiptStatusSuccessful {
		t.Errorf("other transaction not mined: %+v, %v", r, err)
	}
}

func TestBlockPeriod(t *testing.T) {
	_, client := startChain(t, 200*time.Millisecond)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for {
		n, err := client.BlockNumber(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n >= 4 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("head stuck at %d", n)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"defaults", Config{HTTPAddr: "127.0.0.1:8545", WSAddr: "127.0.0.1:8546", BlockPeriod: time.Second}, true},
		{"no port", Config{HTTPAddr: "127.0.0.1", WSAddr: "127.0.0.1:8546"}, false},
		{"bad ws port", Config{HTTPAddr: "127.0.0.1:1", WSAddr: "127.0.0.1:99999"}, false},
		{"negative period", Config{HTTPAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0", BlockPeriod: -1}, false},
	}
	for _, tt := range tests {
		if err := tt.cfg.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v", tt.name, err)
		}
	}
}

func TestParseQuantity(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{`5`, 5, true}, {`"0x1f"`, 31, true}, {`"12"`, 12, true},
		{`-1`, 0, false}, {`1.5`, 0, false}, {`"0xzz"`, 0, false}, {`null`, 0, false}, {`{}`, 0, false},
	}
	for _, tt := range tests {
		got, err := parseQuantity([]byte(tt.in))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseQuantity(%s) = %d, %v", tt.in, got, err)
		}
	}
}
