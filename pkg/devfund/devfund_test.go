package devfund_test

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/rs/zerolog"

	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/devchain/devchaintest"
	"paysuite/pkg/devfund"
	"paysuite/pkg/erc20"
	"paysuite/pkg/hdwallet"
)

func TestFund(t *testing.T) {
	chain := devchaintest.Start(t)
	chain.MineEvery(100 * time.Millisecond)
	gdb := dbtest.Open(t, nil)
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	f := devfund.Funding{
		Wallet: crypto.PubkeyToAddress(key.PublicKey),
		ETH:    big.NewInt(3e18),
		Token:  common.HexToAddress(erc20.DevTokenAddress),
		Tokens: big.NewInt(1_000_000_000),
	}
	fund := func() {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), devchaintest.Wait)
		defer cancel()
		if err := devfund.Fund(ctx, gdb, chain.Eth, f, zerolog.Nop()); err != nil {
			t.Fatal(err)
		}
	}
	balances := func() (*big.Int, *big.Int) {
		t.Helper()
		wei, err := chain.Eth.BalanceAt(t.Context(), f.Wallet, nil)
		if err != nil {
			t.Fatal(err)
		}
		units, err := erc20.BalanceOf(t.Context(), chain.Eth, f.Token, f.Wallet, nil)
		if err != nil {
			t.Fatal(err)
		}
		return wei, units
	}

	fund()
	wei, units := balances()
	if wei.Cmp(f.ETH) != 0 || units.Cmp(f.Tokens) != 0 {
		t.Fatalf("after funding an empty wallet: %s wei and %s token units, want %s and %s", wei, units, f.ETH, f.Tokens)
	}

	// A wallet holding at least half of each target is left alone: account 0
	// signs nothing more.
	_, funder, err := hdwallet.DevAccount(0)
	if err != nil {
		t.Fatal(err)
	}
	before, err := chain.Eth.PendingNonceAt(t.Context(), funder)
	if err != nil {
		t.Fatal(err)
	}
	fund()
	after, err := chain.Eth.PendingNonceAt(t.Context(), funder)
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("funding a funded wallet sent %d transactions from account 0", after-before)
	}
	if wei2, units2 := balances(); wei2.Cmp(wei) != 0 || units2.Cmp(units) != 0 {
		t.Errorf("funding a funded wallet changed its balances to %s wei and %s units", wei2, units2)
	}
}
