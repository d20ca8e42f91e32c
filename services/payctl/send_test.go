package main

import (
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"paysuite/pkg/config/onchain"
	"paysuite/pkg/devchain"
	"paysuite/pkg/devchain/devchaintest"
	"paysuite/pkg/ethtx"
	"paysuite/pkg/tokens"
)

// TestSendUSDTWithFixedGasLimit runs the README walkthrough's transfer as a
// wallet with a fixed 100,000 gas limit sends it, to an address that never
// held the token: on the development chain's mainnet rules it succeeds.
func TestSendUSDTWithFixedGasLimit(t *testing.T) {
	chain := devchaintest.Start(t)
	cfg := configFor(t, chain, "ETH", tokens.DevUSDT)
	to := common.HexToAddress("0x00000000000000000000000000000000000c0ffe")

	if err := sendUSDT(t.Context(), cfg, []string{"--gas-limit", "100000", "1", to.Hex(), "12.345678"}); err != nil {
		t.Fatal(err)
	}
	if err := chain.Mine(1); err != nil {
		t.Fatal(err)
	}

	c := chain.Eth
	block, err := c.BlockByNumber(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(block.Transactions()) != 1 {
		t.Fatalf("block %d holds %d transactions, want the transfer", block.NumberU64(), len(block.Transactions()))
	}
	tx := block.Transactions()[0]
	if tx.Gas() != 100_000 {
		t.Fatalf("gas limit %d, want the fixed 100000", tx.Gas())
	}
	receipt, err := c.TransactionReceipt(t.Context(), tx.Hash())
	if err != nil {
		t.Fatal(err)
	}
	if receipt.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("transfer with a 100000 gas limit reverted (gas used %d)", receipt.GasUsed)
	}
	got, err := ethtx.TokenBalance(t.Context(), c, cfg.chain.Tokens[0].Address, to)
	if err != nil {
		t.Fatal(err)
	}
	if got.Cmp(big.NewInt(12_345_678)) != 0 {
		t.Fatalf("balance %s base units, want 12345678", got)
	}

	if err := sendUSDT(t.Context(), cfg, []string{"--gas-limit", "x", "1", to.Hex(), "1"}); err == nil {
		t.Fatal("a gas limit that is not a number was accepted")
	}
}

// configFor is payctl's configuration with --chain name given, name served by
// chain with the token list tokenList.
func configFor(t *testing.T, chain *devchaintest.Chain, name, tokenList string) config {
	t.Helper()
	list, err := tokens.Parse(tokenList)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config{}
	cfg.List = []onchain.Chain{{Name: name, RPCURL: chain.HTTPURL(), Tokens: list, NativeSymbol: "BNB"}}
	if err := cfg.useChain(name); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestSendUSDTOnBSC sends the smallest amount of BSC's 18-decimal test USDT
// with --chain BSC: one base unit arrives.
func TestSendUSDTOnBSC(t *testing.T) {
	chain := devchaintest.StartWith(t, devchain.Config{ChainID: devchain.BSCChainID})
	cfg := configFor(t, chain, "BSC", tokens.DevBSCUSDT)
	to := common.HexToAddress("0x00000000000000000000000000000000000b5c01")
	if err := sendUSDT(t.Context(), cfg, []string{"1", to.Hex(), "0.000000000000000001"}); err != nil {
		t.Fatal(err)
	}
	if err := chain.Mine(1); err != nil {
		t.Fatal(err)
	}
	got, err := ethtx.TokenBalance(t.Context(), chain.Eth, cfg.chain.Tokens[0].Address, to)
	if err != nil || got.Cmp(big.NewInt(1)) != 0 {
		t.Fatalf("balance %v (%v), want 1 base unit", got, err)
	}
	if err := sendUSDT(t.Context(), cfg, []string{"1", to.Hex(), "0.0000000000000000001"}); err == nil {
		t.Fatal("19 decimals accepted on an 18-decimal token")
	}
}

func TestChainFlag(t *testing.T) {
	tests := []struct {
		args     []string
		name     string
		rest     []string
		wantsErr bool
	}{
		{[]string{"1", "0xab", "5"}, "", []string{"1", "0xab", "5"}, false},
		{[]string{"--chain", "BSC", "1", "0xab"}, "BSC", []string{"1", "0xab"}, false},
		{[]string{"1", "--chain=BSC"}, "BSC", []string{"1"}, false},
		{[]string{"--gas-limit", "100000", "--chain", "ETH", "1"}, "ETH", []string{"--gas-limit", "100000", "1"}, false},
		{[]string{"1", "--chain"}, "", nil, true},
	}
	for _, tt := range tests {
		name, rest, err := chainFlag(tt.args)
		if (err != nil) != tt.wantsErr || name != tt.name || !slices.Equal(rest, tt.rest) {
			t.Errorf("chainFlag(%q) = %q, %q, %v", tt.args, name, rest, err)
		}
	}
	cfg := config{}
	cfg.List = []onchain.Chain{{Name: "ETH"}, {Name: "BSC"}}
	if err := cfg.useChain(""); err != nil || cfg.chain.Name != "ETH" || cfg.chainGiven {
		t.Errorf("no --chain: %+v, %v, want ETH, not given", cfg.chain, err)
	}
	if err := cfg.useChain("TRON"); err == nil || !strings.Contains(err.Error(), "not a configured chain (ETH, BSC)") {
		t.Errorf("--chain TRON: %v", err)
	}
}
