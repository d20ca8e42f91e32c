package erc20

import (
	"bytes"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func TestTransferCallRange(t *testing.T) {
	two256 := new(big.Int).Lsh(big.NewInt(1), 256)
	to := common.HexToAddress("0x000000000000000000000000000000000000dEaD")
	tests := []struct {
		name   string
		amount *big.Int
		ok     bool
	}{
		{"nil", nil, false},
		{"negative", big.NewInt(-1), false},
		{"zero", big.NewInt(0), false},
		{"one", big.NewInt(1), true},
		{"2^256-1", new(big.Int).Sub(two256, big.NewInt(1)), true},
		{"2^256", new(big.Int).Set(two256), false},
		{"2^256+5", new(big.Int).Add(two256, big.NewInt(5)), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := TransferCall(to, tc.amount)
			if tc.ok != (err == nil) {
				t.Fatalf("TransferCall(%v) = %v, want ok %v", tc.amount, err, tc.ok)
			}
			if !tc.ok {
				if !errors.Is(err, ErrAmountOutOfRange) || data != nil {
					t.Fatalf("TransferCall(%v) = %x, %v; want no data and ErrAmountOutOfRange", tc.amount, data, err)
				}
				return
			}
			got, err := NewTestUSDT().GetABI().Methods["transfer"].Inputs.Unpack(data[4:])
			if err != nil {
				t.Fatal(err)
			}
			if got[0].(common.Address) != to || got[1].(*big.Int).Cmp(tc.amount) != 0 {
				t.Fatalf("packed %v, want %s %s", got, to, tc.amount)
			}
			_, err = TransferBatchCall([]common.Address{to, to}, []*big.Int{big.NewInt(1), tc.amount})
			if err != nil {
				t.Fatalf("TransferBatchCall with %v: %v", tc.amount, err)
			}
		})
	}
	for _, tc := range tests {
		if tc.ok {
			continue
		}
		if _, err := TransferBatchCall([]common.Address{to, to}, []*big.Int{big.NewInt(1), tc.amount}); !errors.Is(err, ErrAmountOutOfRange) {
			t.Errorf("TransferBatchCall with %v = %v, want ErrAmountOutOfRange", tc.amount, err)
		}
	}
	if _, err := TransferBatchCall([]common.Address{to}, []*big.Int{big.NewInt(1), big.NewInt(2)}); err == nil {
		t.Error("TransferBatchCall accepted more amounts than recipients")
	}
}

// The reason for the range check: go-ethereum's packer silently keeps the low 256 bits of an
// amount, so an unchecked 2^256+5 would ask the token for 5.
func TestABIPackerWrapsAmounts(t *testing.T) {
	to := common.HexToAddress("0x000000000000000000000000000000000000dEaD")
	wrapped, err := NewTestUSDT().TryPackTransfer(to, new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(5)))
	if err != nil {
		t.Fatalf("the packer refused 2^256+5 (%v): the range check is then a second guard, keep it", err)
	}
	five, err := TransferCall(to, big.NewInt(5))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(wrapped, five) {
		t.Fatalf("the packer no longer wraps 2^256+5 to 5: %x", wrapped)
	}
}
