package erc20

import (
	"bytes"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
)

// The standard ABI must describe the test tokens' methods exactly, or calls
// built from it would not reach the functions the tests deploy.
func TestStandardABIMatchesTestTokens(t *testing.T) {
	for name, parsed := range map[string]abi.ABI{"TestUSDT": NewTestUSDT().GetABI(), "FalseUSDT": FalseUSDTABI()} {
		for method, m := range StandardABI().Methods {
			got, ok := parsed.Methods[method]
			if !ok {
				t.Errorf("%s has no %s", name, method)
				continue
			}
			if got.Sig != m.Sig || !bytes.Equal(got.ID, m.ID) || len(got.Outputs) != len(m.Outputs) {
				t.Errorf("%s.%s is %s with %d outputs, the standard says %s with %d", name, method, got.Sig, len(got.Outputs), m.Sig, len(m.Outputs))
			}
			for i := range m.Outputs {
				if i < len(got.Outputs) && got.Outputs[i].Type.String() != m.Outputs[i].Type.String() {
					t.Errorf("%s.%s output %d is %s, the standard says %s", name, method, i, got.Outputs[i].Type, m.Outputs[i].Type)
				}
			}
		}
	}
	to := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	amount := big.NewInt(12_500_000)
	got, err := TransferCall(to, amount)
	if err != nil {
		t.Fatal(err)
	}
	if want := NewTestUSDT().PackTransfer(to, amount); !bytes.Equal(got, want) {
		t.Errorf("TransferCall = %x, the test token's binding packs %x", got, want)
	}
	if !bytes.Equal(TransferMethod().ID, got[:4]) {
		t.Errorf("TransferMethod().ID = %x, call data starts with %x", TransferMethod().ID, got[:4])
	}
}

func TestBalanceOf(t *testing.T) {
	chain := newSimChain(t, 1)
	sim, client, opts := chain.sim, chain.client, chain.accounts[0]
	addr0 := opts.From
	ctx := t.Context()
	amountEach := big.NewInt(1_000_000)
	tokenAddr, _, err := Deploy(opts, client, []common.Address{addr0}, amountEach, Decimals)
	if err != nil {
		t.Fatal(err)
	}
	sim.Commit()
	deployed, err := client.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	to := common.HexToAddress("0x00000000000000000000000000000000000000bb")
	if _, err := NewToken(tokenAddr, client).Transfer(opts, to, big.NewInt(400)); err != nil {
		t.Fatal(err)
	}
	sim.Commit()

	for _, tc := range []struct {
		holder common.Address
		block  *big.Int
		want   int64
	}{
		{addr0, nil, 1_000_000 - 400},
		{to, nil, 400},
		{addr0, new(big.Int).SetUint64(deployed), 1_000_000},
		{to, new(big.Int).SetUint64(deployed), 0},
	} {
		got, err := BalanceOf(ctx, client, tokenAddr, tc.holder, tc.block)
		if err != nil {
			t.Fatalf("BalanceOf(%s at %v): %v", tc.holder, tc.block, err)
		}
		if got.Cmp(big.NewInt(tc.want)) != 0 {
			t.Errorf("BalanceOf(%s at %v) = %s, want %d", tc.holder, tc.block, got, tc.want)
		}
	}
	// An address without code answers with nothing, which is no balance.
	if got, err := BalanceOf(ctx, client, to, addr0, nil); err == nil {
		t.Errorf("BalanceOf on an address without code = %s, want an error", got)
	}
}
