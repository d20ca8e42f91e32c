package config

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckChain(t *testing.T) {
	tests := []struct {
		chain string
		ok    bool
	}{
		{"ETH", true},
		{"BSC", true},
		{"polygon-zkevm_2.0", false}, // 17 characters
		{"arbitrum-nova_01", true},   // 16
		{"", false},
		{"ETH:1", false},
		{"ÉTH", false},
		{strings.Repeat("E", 100), false},
	}
	for _, tt := range tests {
		t.Run(tt.chain, func(t *testing.T) {
			err := CheckChain(tt.chain)
			if tt.ok {
				if err != nil {
					t.Fatalf("CheckChain(%q) = %v", tt.chain, err)
				}
				return
			}
			var cerr *Error
			if !errors.As(err, &cerr) || cerr.Var != "CHAIN" {
				t.Fatalf("CheckChain(%q) = %v, want an error naming CHAIN", tt.chain, err)
			}
		})
	}
}
