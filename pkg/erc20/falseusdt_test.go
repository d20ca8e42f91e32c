package erc20

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient/simulated"

	"paysuite/pkg/hdwallet"
)

// FalseUSDT moves tokens like any ERC-20, but a transfer it refuses (balance short, a frozen
// side) is mined with status 1, returns false, moves nothing and emits no Transfer event.
func TestFalseUSDTReturnsFalse(t *testing.T) {
	key0, addr0, err := hdwallet.DevAccount(0)
	if err != nil {
		t.Fatal(err)
	}
	key1, addr1, err := hdwallet.DevAccount(1)
	if err != nil {
		t.Fatal(err)
	}
	eth := new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	sim := simulated.NewBackend(types.GenesisAlloc{addr0: {Balance: eth}, addr1: {Balance: eth}})
	t.Cleanup(func() { _ = sim.Close() })
	client := sim.Client()
	ctx := t.Context()
	issuer := bind.NewKeyedTransactor(key0, big.NewInt(1337))
	issuer.Context = ctx
	other := bind.NewKeyedTransactor(key1, big.NewInt(1337))
	other.Context = ctx

	amountEach := big.NewInt(1_000_000)
	addr, _, err := DeployFalseUSDT(issuer, client, []common.Address{addr0, addr1}, amountEach)
	if err != nil {
		t.Fatal(err)
	}
	sim.Commit()
	token := NewToken(addr, client)
	frozenTo := common.HexToAddress("0x00000000000000000000000000000000000f0002")
	if _, err := SetFrozen(issuer, client, addr, frozenTo, true); err != nil {
		t.Fatal(err)
	}
	sim.Commit()
	if _, err := SetFrozen(other, client, addr, addr1, true); err == nil {
		t.Fatal("an account that is not the issuer froze another")
	}

	to := common.HexToAddress("0x00000000000000000000000000000000000f0001")
	tests := []struct {
		name   string
		to     common.Address
		amount int64
		moved  bool
	}{
		{"within the balance", to, 250_000, true},
		{"above the balance", to, 2_000_000, false},
		{"to a frozen account", frozenTo, 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, err := token.BalanceOf(ctx, addr0)
			if err != nil {
				t.Fatal(err)
			}
			data, err := TransferCall(tc.to, big.NewInt(tc.amount))
			if err != nil {
				t.Fatal(err)
			}
			out, err := client.CallContract(ctx, ethereum.CallMsg{From: addr0, To: &addr, Data: data}, nil)
			if err != nil {
				t.Fatalf("eth_call reverted: %v", err)
			}
			if ok, err := NewFalseUSDT().UnpackTransfer(out); err != nil || ok != tc.moved {
				t.Fatalf("transfer returned %v (%v), want %v", ok, err, tc.moved)
			}
			tx, err := token.Transfer(issuer, tc.to, big.NewInt(tc.amount))
			if err != nil {
				t.Fatal(err)
			}
			sim.Commit()
			receipt, err := client.TransactionReceipt(ctx, tx.Hash())
			if err != nil {
				t.Fatal(err)
			}
			if receipt.Status != types.ReceiptStatusSuccessful {
				t.Fatalf("receipt status %d, want 1: the token must not revert", receipt.Status)
			}
			after, err := token.BalanceOf(ctx, addr0)
			if err != nil {
				t.Fatal(err)
			}
			moved := new(big.Int).Sub(before, after)
			if tc.moved {
				if len(receipt.Logs) != 1 || moved.Int64() != tc.amount {
					t.Fatalf("%d logs and %s moved, want one Transfer of %d", len(receipt.Logs), moved, tc.amount)
				}
				return
			}
			if len(receipt.Logs) != 0 || moved.Sign() != 0 {
				t.Fatalf("%d logs and %s moved, want nothing", len(receipt.Logs), moved)
			}
		})
	}
}
