package contract

import (
	"strings"
	"testing"

	"github.com/caarlos0/env/v11"
)

func TestNamesDefaults(t *testing.T) {
	var n Names
	if err := env.ParseWithOptions(&n, env.Options{Environment: map[string]string{}}); err != nil {
		t.Fatalf("parse: %v", err)
	}
	if n != DefaultNames() {
		t.Fatalf("env defaults and DefaultNames differ:\n%+v\n%+v", n, DefaultNames())
	}
	want := []Flow{
		{"topup", "pay.topup.queue", "pay.topup", "pay.topup.return.queue", "pay.topup.return"},
		{"withdraw", "pay.withdraw.queue", "pay.withdraw", "pay.withdraw.return.queue", "pay.withdraw.return"},
		{"pay", "pay.pay.queue", "pay.pay", "pay.pay.return.queue", "pay.pay.return"},
		{"order", "pay.order.queue", "pay.order", "pay.order.return.queue", "pay.order.return"},
	}
	got := n.All()
	if len(got) != len(want) {
		t.Fatalf("All() has %d flows", len(got))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("flow %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if n.Exchange != "pay.exchange" {
		t.Errorf("Exchange = %q", n.Exchange)
	}
	if err := n.Validate(); err != nil {
		t.Errorf("Validate defaults: %v", err)
	}
}

func TestNamesFromEnv(t *testing.T) {
	var n Names
	err := env.ParseWithOptions(&n, env.Options{Environment: map[string]string{
		"AMQP_EXCHANGE": "x.ex", "AMQP_PAY_QUEUE": "x.pay.q", "AMQP_ORDER_RETURN_KEY": "x.order.ret",
	}})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if n.Exchange != "x.ex" || n.Pay().RequestQueue != "x.pay.q" || n.Order().ReturnKey != "x.order.ret" || n.Topup().RequestKey != "pay.topup" {
		t.Fatalf("unexpected names: %+v", n)
	}
}

func TestNamesValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Names)
		wantErr string
	}{
		{"ok", func(*Names) {}, ""},
		{"empty exchange", func(n *Names) { n.Exchange = "" }, "AMQP_EXCHANGE: must not be empty"},
		{"empty key", func(n *Names) { n.PayReturnKey = " " }, "AMQP_PAY_RETURN_KEY: must not be empty"},
		{"same queue twice", func(n *Names) { n.OrderQueue = n.TopupQueue }, "AMQP_ORDER_QUEUE: queue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := DefaultNames()
			tt.mutate(&n)
			err := n.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestValidRequestID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"w-1", true},
		{"A.b_c:D-9", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{"", false},
		{"has space", false},
		{"slash/no", false},
		{"ünï", false},
		{"semi;colon", false},
	}
	for _, tt := range tests {
		if got := ValidRequestID(tt.id); got != tt.want {
			t.Errorf("ValidRequestID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}

func TestAddress(t *testing.T) {
	tests := []struct {
		addr  string
		valid bool
		norm  string
	}{
		{"0x5FbDB2315678afecb367f032d93F642f64180aa3", true, "0x5fbdb2315678afecb367f032d93f642f64180aa3"},
		{"0x5fbdb2315678afecb367f032d93f642f64180aa3", true, "0x5fbdb2315678afecb367f032d93f642f64180aa3"},
		{"0X5FBDB2315678AFECB367F032D93F642F64180AA3", true, "0x5fbdb2315678afecb367f032d93f642f64180aa3"},
		{"5fbdb2315678afecb367f032d93f642f64180aa3", false, ""},
		{"0x5fbdb2315678afecb367f032d93f642f64180aa", false, ""},
		{"0x5fbdb2315678afecb367f032d93f642f64180aa3a", false, ""},
		{"0x5fbdb2315678afecb367f032d93f642f64180aag", false, ""},
		{"0xab", false, ""},
		{"", false, ""},
	}
	for _, tt := range tests {
		if got := ValidAddress(tt.addr); got != tt.valid {
			t.Errorf("ValidAddress(%q) = %v, want %v", tt.addr, got, tt.valid)
		}
		if tt.valid {
			if got := NormalizeAddress(tt.addr); got != tt.norm {
				t.Errorf("NormalizeAddress(%q) = %q, want %q", tt.addr, got, tt.norm)
			}
		}
	}
}

func TestDepositID(t *testing.T) {
	tests := []struct {
		chain, hash string
		idx         uint
		want        string
	}{
		{"ETH", "0xABCDEF", 3, "ETH:0xabcdef:3"},
		{"ETH", "abcdef", 0, "ETH:0xabcdef:0"},
		{"BSC", "0XAB", 12, "BSC:0xab:12"},
	}
	for _, tt := range tests {
		if got := DepositID(tt.chain, tt.hash, tt.idx); got != tt.want {
			t.Errorf("DepositID(%q, %q, %d) = %q, want %q", tt.chain, tt.hash, tt.idx, got, tt.want)
		}
	}
}

func TestConstants(t *testing.T) {
	// These values are the public contract; a change here breaks integrators.
	if StatusFailed != 0 || StatusSuccess != 1 || StatusPending != 2 {
		t.Fatal("status values changed")
	}
	codes := []string{ErrBadSignature, ErrStaleTimestamp, ErrInvalidAmount, ErrInvalidAddress, ErrUnknownToken,
		ErrUnknownChain, ErrInvalidRequest, ErrInsufficientBalance, ErrInsufficientGas, ErrReverted, ErrReorged,
		ErrExpired, ErrAddressInUse, ErrConflict}
	seen := map[string]bool{}
	for _, c := range codes {
		if seen[c] || c != strings.ToLower(c) || strings.ContainsAny(c, " -.") {
			t.Errorf("error code %q is repeated or not snake_case", c)
		}
		seen[c] = true
	}
}
