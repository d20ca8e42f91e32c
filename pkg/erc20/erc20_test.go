package erc20

import (
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient/simulated"

	"paysuite/pkg/hdwallet"
)

func TestArtifactsInSync(t *testing.T) {
	bin, err := os.ReadFile("TestUSDT.bin")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimPrefix(TestUSDTMetaData.Bin, "0x"), strings.TrimSpace(string(bin)); got != want {
		t.Error("the Go binding's bytecode differs from TestUSDT.bin: run go generate ./pkg/erc20")
	}
	if got, want := FalseUSDTABI().Events["Transfer"].ID, TransferEventTopic(); got != want {
		t.Errorf("FalseUSDT's Transfer event is %s, want the ERC-20 one %s", got, want)
	}
	if got, want := TransferEventTopic(), NewTestUSDT().GetABI().Events["Transfer"].ID; got != want {
		t.Errorf("TransferEventTopic() = %s, ABI says %s", got, want)
	}
	// keccak256("Transfer(address,address,uint256)"), as every ERC-20 indexer knows it.
	if got := TransferEventTopic().Hex(); got != "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef" {
		t.Errorf("TransferEventTopic() = %s", got)
	}
}

// simChain is a simulated chain whose accounts are the first development accounts, each funded
// with 100 ETH.
type simChain struct {
	sim    *simulated.Backend
	client simulated.Client
	// accounts are transactors of the funded development accounts, in order.
	accounts []*bind.TransactOpts
}

// newSimChain starts a simulated chain funding the first n development accounts; it is closed
// when the test ends.
func newSimChain(t *testing.T, n int) *simChain {
	t.Helper()
	eth := new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	alloc := types.GenesisAlloc{}
	accounts := make([]*bind.TransactOpts, n)
	for i := range accounts {
		key, addr, err := hdwallet.DevAccount(i)
		if err != nil {
			t.Fatal(err)
		}
		alloc[addr] = types.Account{Balance: new(big.Int).Mul(big.NewInt(100), eth)}
		accounts[i] = bind.NewKeyedTransactor(key, big.NewInt(1337))
		accounts[i].Context = t.Context()
	}
	sim := simulated.NewBackend(alloc)
	t.Cleanup(func() { _ = sim.Close() })
	return &simChain{sim: sim, client: sim.Client(), accounts: accounts}
}

// transfer sends token.Transfer(from, to, amount), mines it and returns its receipt.
func (c *simChain) transfer(t *testing.T, token *Token, from *bind.TransactOpts, to common.Address, amount int64) *types.Receipt {
	t.Helper()
	tx, err := token.Transfer(from, to, big.NewInt(amount))
	if err != nil {
		t.Fatal(err)
	}
	c.sim.Commit()
	receipt, err := c.client.TransactionReceipt(t.Context(), tx.Hash())
	if err != nil {
		t.Fatal(err)
	}
	return receipt
}

func TestDeployTransfer(t *testing.T) {
	chain := newSimChain(t, 2)
	sim, client, opts := chain.sim, chain.client, chain.accounts[0]
	addr0, addr1 := opts.From, chain.accounts[1].From
	amountEach := big.NewInt(1_000_000_000 * 1_000_000)
	addr, _, err := Deploy(opts, client, []common.Address{addr0, addr1}, amountEach, Decimals)
	if err != nil {
		t.Fatal(err)
	}
	if addr != common.HexToAddress(DevTokenAddress) {
		t.Fatalf("deployed at %s, want %s", addr, DevTokenAddress)
	}
	sim.Commit()

	token := NewToken(addr, client)
	ctx := t.Context()
	if d, err := token.Decimals(ctx); err != nil || d != Decimals {
		t.Errorf("Decimals() = %d, %v; want %d", d, err, Decimals)
	}
	if s, err := token.Symbol(ctx); err != nil || s != "USDT" {
		t.Errorf("Symbol() = %q, %v", s, err)
	}
	if s, err := token.TotalSupply(ctx); err != nil || s.Cmp(new(big.Int).Mul(amountEach, big.NewInt(2))) != 0 {
		t.Errorf("TotalSupply() = %s, %v", s, err)
	}

	to := common.HexToAddress("0x000000000000000000000000000000000000dEaD")
	receipt := chain.transfer(t, token, opts, to, 12_500_000)
	if receipt.Status != types.ReceiptStatusSuccessful || len(receipt.Logs) != 1 {
		t.Fatalf("receipt status %d with %d logs", receipt.Status, len(receipt.Logs))
	}
	ev, err := token.ParseTransfer(receipt.Logs[0])
	if err != nil {
		t.Fatal(err)
	}
	if ev.From != addr0 || ev.To != to || ev.Value.Cmp(big.NewInt(12_500_000)) != 0 {
		t.Errorf("Transfer event = %+v", ev)
	}
	tests := []struct {
		owner common.Address
		want  *big.Int
	}{
		{addr0, new(big.Int).Sub(amountEach, big.NewInt(12_500_000))},
		{addr1, amountEach},
		{to, big.NewInt(12_500_000)},
	}
	for _, tt := range tests {
		got, err := token.BalanceOf(ctx, tt.owner)
		if err != nil {
			t.Fatal(err)
		}
		if got.Cmp(tt.want) != 0 {
			t.Errorf("BalanceOf(%s) = %s, want %s", tt.owner, got, tt.want)
		}
	}

	// A transfer above the balance reverts at gas estimation, so nothing is sent.
	if _, err := token.Transfer(opts, to, new(big.Int).Mul(amountEach, big.NewInt(2))); err == nil {
		t.Error("transfer above balance did not fail")
	}
	if _, err := token.ParseTransfer(&types.Log{Topics: []common.Hash{{1}}}); err == nil {
		t.Error("ParseTransfer accepted a foreign log")
	}
}
