package main

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"paysuite/pkg/devchain/devchaintest"
	"paysuite/pkg/ethtx"
	"paysuite/pkg/tokens"
)

// TestSendUSDTWithFixedGasLimit runs the README walkthrough's transfer as a
// wallet with a fixed 100,000 gas limit sends it, to an address that never
// held the token: on the development chain's mainnet rules it succeeds.
func TestSendUSDTWithFixedGasLimit(t *testing.T) {
	chain := devchaintest.Start(t)
	cfg := config{RPCURL: chain.HTTPURL(), TokenList: "USDT:0x5FbDB2315678afecb367f032d93F642f64180aa3:6"}
	var err error
	if cfg.tokens, err = tokens.Parse(cfg.TokenList); err != nil {
		t.Fatal(err)
	}
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
	got, err := ethtx.TokenBalance(t.Context(), c, cfg.tokens[0].Address, to)
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
