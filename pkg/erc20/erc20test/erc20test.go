// Package erc20test deploys FalseUSDT, the test token that returns false instead of reverting, on a
// running development chain, so that a test can point a service's token list at it.
package erc20test

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"paysuite/pkg/erc20"
	"paysuite/pkg/hdwallet"
)

// issuerAccount is the development account that deploys and administers the token: one of the
// accounts contract section 5 leaves to tests, and none a service uses.
const issuerAccount = 9

// minedWait bounds the wait for one of the fixture's transactions to be mined.
const minedWait = time.Minute

// FalseToken is a FalseUSDT deployed on a development chain.
type FalseToken struct {
	t      testing.TB
	client *ethclient.Client
	issuer *bind.TransactOpts
	// Address is the token contract's address.
	Address common.Address
}

// FalseUSDTAddress is where DeployFalseUSDT puts the token on a fresh development chain (account 9
// deploys it at its nonce 0), so that a service can be configured with it before it is deployed.
func FalseUSDTAddress() (common.Address, error) {
	_, issuer, err := hdwallet.DevAccount(issuerAccount)
	if err != nil {
		return common.Address{}, err
	}
	return crypto.CreateAddress(issuer, 0), nil
}

// DeployFalseUSDT deploys a FalseUSDT from development account 9, minting 1,000,000,000 tokens
// (6 decimals) to each of development accounts 0-9, as the test USDT does, and to each of holders,
// and waits until it is mined; it fails the test unless the token lands at FalseUSDTAddress. The
// chain must mine blocks by itself (a block period).
func DeployFalseUSDT(t testing.TB, client *ethclient.Client, holders ...common.Address) *FalseToken {
	t.Helper()
	key, issuer, err := hdwallet.DevAccount(issuerAccount)
	if err != nil {
		t.Fatal(err)
	}
	want, err := FalseUSDTAddress()
	if err != nil {
		t.Fatal(err)
	}
	chainID, err := client.ChainID(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	all := make([]common.Address, 10, 10+len(holders))
	for i := range all {
		if _, all[i], err = hdwallet.DevAccount(i); err != nil {
			t.Fatal(err)
		}
	}
	all = append(all, holders...)
	f := &FalseToken{t: t, client: client, issuer: bind.NewKeyedTransactor(key, chainID)}
	f.issuer.Context = t.Context()
	addr, tx, err := erc20.DeployFalseUSDT(f.issuer, client, all, big.NewInt(1_000_000_000*1_000_000))
	if err != nil {
		t.Fatal(err)
	}
	if addr != want {
		t.Fatalf("FalseUSDT deployed at %s, not %s: development account %s was used before", addr.Hex(), want.Hex(), issuer.Hex())
	}
	f.waitMined(tx, "deploy FalseUSDT")
	f.Address = addr
	return f
}

// Freeze makes every transfer from or to account return false without moving anything, and waits
// until that is mined.
func (f *FalseToken) Freeze(account common.Address) {
	f.t.Helper()
	tx, err := erc20.SetFrozen(f.issuer, f.client, f.Address, account, true)
	if err != nil {
		f.t.Fatal(err)
	}
	f.waitMined(tx, "freeze "+account.Hex())
}

func (f *FalseToken) waitMined(tx *types.Transaction, what string) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(f.t.Context(), minedWait)
	defer cancel()
	r, err := bind.WaitMined(ctx, f.client, tx.Hash())
	if err != nil {
		f.t.Fatalf("%s: %v", what, err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		f.t.Fatalf("%s: reverted", what)
	}
}
