package request

import (
	"context"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/contract"
)

func TestRecipients(t *testing.T) {
	token := common.HexToAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3")
	hot := common.HexToAddress("0x98E503f35D0a019cB0a251aD243a4cCFCF371F46")
	deposit := common.HexToAddress("0x00000000000000000000000000000000000000d1")
	broken := common.HexToAddress("0x00000000000000000000000000000000000000e1")
	merchant := common.HexToAddress("0xAbCdEf0123456789aBcDeF0123456789AbCdEf01")
	r := Recipients{Tokens: []common.Address{token}, Own: []common.Address{hot},
		Deposit: func(_ context.Context, chain string, addr common.Address) (bool, error) {
			if addr == broken {
				return false, errors.New("database down")
			}
			return chain == "ETH" && addr == deposit, nil
		}}
	tests := []struct {
		name    string
		chain   string
		to      common.Address
		refused bool
		err     bool
	}{
		{"merchant", "ETH", merchant, false, false},
		{"zero address", "ETH", common.Address{}, true, false},
		{"token contract", "ETH", token, true, false},
		{"own wallet", "ETH", hot, true, false},
		{"deposit address", "ETH", deposit, true, false},
		{"deposit address of another chain", "BSC", deposit, false, false},
		{"lookup fails", "ETH", broken, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref, err := r.Check(t.Context(), tt.chain, "to_address", tt.to)
			if (err != nil) != tt.err {
				t.Fatalf("error %v, want one: %v", err, tt.err)
			}
			if (ref != nil) != tt.refused || (ref != nil && ref.Code != contract.ErrInvalidAddress) {
				t.Fatalf("refusal %v, want one: %v", ref, tt.refused)
			}
		})
	}
	// The zero address is refused whatever the flow knows.
	if ref, err := (Recipients{}).Check(t.Context(), "ETH", "to_address", common.Address{}); err != nil || ref == nil {
		t.Fatalf("empty rule: %v, %v; want the zero address refused", ref, err)
	}
}
