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
	for _, tc := range []struct {
		bin  string
		meta *bind.MetaData
	}{
		{"TestUSDT.bin", &TestUSDTMetaData},
		{"FalseUSDT.bin", &FalseUSDTMetaData},
	} {
		bin, err := os.ReadFile(tc.bin)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.TrimPrefix(tc.meta.Bin, "0x"), strings.TrimSpace(string(bin)); got != want {
			t.Errorf("the Go binding's bytecode differs from %s: run go generate ./pkg/erc20", tc.bin)
		}
	}
	if got, want := NewFalseUSDT().GetABI().Events["Transfer"].ID, TransferEventTopic(); got != want {
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

func TestDeployTransfer(t *testing.T) {
	key0, addr0, err := hdwallet.DevAccount(0)
	if err != nil {
		t.Fatal(err)
	}
	_, addr1, err := hdwallet.DevAccount(1)
	if err != nil {
		t.Fatal(err)
	}
	eth := new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	sim := simulated.NewBackend(types.GenesisAlloc{addr0: {Balance: new(big.Int).Mul(big.NewInt(100), eth)}})
	t.Cleanup(func() { _ = sim.Close() })
	client := sim.Client()

	opts := bind.NewKeyedTransactor(key0, big.NewInt(1337))
	opts.Context = t.Context()
	amountEach := big.NewInt(1_000_000_000 * 1_000_000)
	addr, _, err := Deploy(opts, client, []common.Address{addr0, addr1}, amountEach)
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
	tx, err := token.Transfer(opts, to, big.NewInt(12_500_000))
	if err != nil {
		t.Fatal(err)
	}
	sim.Commit()
	receipt, err := client.TransactionReceipt(ctx, tx.Hash())
	if err != nil {
		t.Fatal(err)
	}
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
