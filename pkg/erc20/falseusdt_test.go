package erc20

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// FalseUSDT moves tokens like any ERC-20, but a transfer it refuses (balance short, a frozen
// side) is mined with status 1, returns false, moves nothing and emits no Transfer event.
func TestFalseUSDTReturnsFalse(t *testing.T) {
	chain := newSimChain(t, 2)
	sim, client, issuer, other := chain.sim, chain.client, chain.accounts[0], chain.accounts[1]
	addr0, addr1 := issuer.From, other.From
	ctx := t.Context()

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
			if ok, err := StandardABI().Unpack("transfer", out); err != nil || len(ok) != 1 || ok[0] != tc.moved {
				t.Fatalf("transfer returned %v (%v), want %v", ok, err, tc.moved)
			}
			receipt := chain.transfer(t, token, issuer, tc.to, tc.amount)
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
