package money

import (
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in       string
		decimals int32
		want     string // canonical form; empty means an error is expected
	}{
		{"12.5", 6, "12.5"},
		{"12.345678", 6, "12.345678"},
		{"100", 6, "100"},
		{"0.000001", 6, "0.000001"},
		{"1.500000000", 6, "1.5"},
		{"007", 6, "7"},
		{"1e3", 6, "1000"},
		{"1.5E+2", 6, "150"},
		{"125e-1", 6, "12.5"},
		{"1e-6", 6, "0.000001"},
		{"10e-7", 6, "0.000001"},
		{"5", 0, "5"},
		{"5.0", 0, "5"},
		{strings.Repeat("9", 78), 0, strings.Repeat("9", 78)},
		{"", 6, ""},
		{"abc", 6, ""},
		{"12.5.1", 6, ""},
		{" 12.5", 6, ""},
		{"+12.5", 6, ""},
		{".5", 6, ""},
		{"5.", 6, ""},
		{"-1", 6, ""},
		{"0", 6, ""},
		{"0.000", 6, ""},
		{"-0", 6, ""},
		{"0.0000001", 6, ""},
		{"1e-7", 6, ""},
		{"5.5", 0, ""},
		{"1e", 6, ""},
		{"1e+", 6, ""},
		{"1e++2", 6, ""},
		{"1e2e3", 6, ""},
		{"1e999999999999", 6, ""},
		{"1e201", 6, ""},
		{"NaN", 6, ""},
		{"Infinity", 6, ""},
		{"0x10", 6, ""},
		{"1_000", 6, ""},
		{strings.Repeat("9", 79), 0, ""},
		{"1e78", 0, ""},
		{strings.Repeat("1", 300), 6, ""},
	}
	for _, tt := range tests {
		d, err := Parse(tt.in, tt.decimals)
		if tt.want == "" {
			if err == nil {
				t.Errorf("Parse(%q, %d) = %s, want an error", tt.in, tt.decimals, d)
			} else if !errors.Is(err, ErrInvalidAmount) {
				t.Errorf("Parse(%q) error %v does not wrap ErrInvalidAmount", tt.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q, %d): %v", tt.in, tt.decimals, err)
			continue
		}
		if got := Format(d); got != tt.want {
			t.Errorf("Parse(%q, %d) = %s, want %s", tt.in, tt.decimals, got, tt.want)
		}
	}
}

func TestParseJSON(t *testing.T) {
	tests := []struct {
		raw  string
		want string // empty means an error is expected
	}{
		{`"12.5"`, "12.5"},
		{`12.5`, "12.5"},
		{` 12.50 `, "12.5"},
		{`12.345678`, "12.345678"},
		// A float64 cannot hold this; it must come out exact.
		{`123456789012345678901234567890.123456`, "123456789012345678901234567890.123456"},
		{`"123456789012345678901234567890.123456"`, "123456789012345678901234567890.123456"},
		{`0.1`, "0.1"},
		{`1e-6`, "0.000001"},
		{`"\u0031\u0032"`, "12"},
		{`1e-7`, ""},
		{`12.3456789`, ""},
		{`""`, ""},
		{`null`, ""},
		{``, ""},
		{`true`, ""},
		{`{"a":1}`, ""},
		{`[1]`, ""},
		{`-5`, ""},
		{`"-5"`, ""},
		{`0`, ""},
		{`01`, ""}, // not valid JSON
		{`12.5x`, ""},
		{`"12.5`, ""},
		{`"abc"`, ""},
	}
	for _, tt := range tests {
		d, err := ParseJSON(json.RawMessage(tt.raw), 6)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseJSON(%s) = %s, want an error", tt.raw, d)
			} else if !errors.Is(err, ErrInvalidAmount) {
				t.Errorf("ParseJSON(%s) error %v does not wrap ErrInvalidAmount", tt.raw, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseJSON(%s): %v", tt.raw, err)
			continue
		}
		if got := Format(d); got != tt.want {
			t.Errorf("ParseJSON(%s) = %s, want %s", tt.raw, got, tt.want)
		}
	}
}

func TestParseJSONInStruct(t *testing.T) {
	var req struct {
		Amount json.RawMessage `json:"amount"`
	}
	if err := json.Unmarshal([]byte(`{"amount": 0.30000000000000004}`), &req); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseJSON(req.Amount, 6); err == nil {
		t.Fatal("17 decimal places accepted for a 6-decimal token")
	}
	d, err := ParseJSON(req.Amount, 18)
	if err != nil || Format(d) != "0.30000000000000004" {
		t.Fatalf("ParseJSON = %s, %v", d, err)
	}
}

func TestBaseUnits(t *testing.T) {
	tests := []struct {
		amount   string
		decimals int32
		base     string
	}{
		{"12.345678", 6, "12345678"},
		{"12.5", 6, "12500000"},
		{"1", 18, "1000000000000000000"},
		{"0.000001", 6, "1"},
		{"7", 0, "7"},
		{"1000000000", 6, "1000000000000000"},
	}
	for _, tt := range tests {
		d, err := Parse(tt.amount, tt.decimals)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.amount, err)
		}
		got := ToBaseUnits(d, tt.decimals)
		if got.String() != tt.base {
			t.Errorf("ToBaseUnits(%s, %d) = %s, want %s", tt.amount, tt.decimals, got, tt.base)
		}
		back := FromBaseUnits(got, tt.decimals)
		if Format(back) != tt.amount {
			t.Errorf("FromBaseUnits(%s, %d) = %s, want %s", got, tt.decimals, Format(back), tt.amount)
		}
	}
	if !FromBaseUnits(nil, 6).IsZero() {
		t.Error("FromBaseUnits(nil) is not zero")
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		d    decimal.Decimal
		want string
	}{
		{decimal.New(12345678, -6), "12.345678"},
		{decimal.New(100, 0), "100"},
		{decimal.New(1, 2), "100"},
		{decimal.New(1250, -2), "12.5"},
		{decimal.New(0, -6), "0"},
		{decimal.Zero, "0"},
		{decimal.New(1, -20), "0.00000000000000000001"},
		{decimal.New(1, 30), "1000000000000000000000000000000"},
		{decimal.NewFromBigInt(new(big.Int).Lsh(big.NewInt(1), 255), -18), "57896044618658097711785492504343953926634992332820282019728.792003956564819968"},
	}
	for _, tt := range tests {
		if got := Format(tt.d); got != tt.want {
			t.Errorf("Format(%v) = %s, want %s", tt.d, got, tt.want)
		}
	}
}

func FuzzRoundTrip(f *testing.F) {
	for _, s := range []string{"12.5", "0.000001", "100", "1e3", "1.500000000", "123456789012345678901234567890.123456", "9.99e-5"} {
		f.Add(s, uint8(6))
		f.Add(s, uint8(18))
	}
	f.Fuzz(func(t *testing.T, s string, dec uint8) {
		decimals := int32(dec % 40)
		d, err := Parse(s, decimals)
		if err != nil {
			if !errors.Is(err, ErrInvalidAmount) {
				t.Fatalf("Parse(%q) error %v does not wrap ErrInvalidAmount", s, err)
			}
			return
		}
		formatted := Format(d)
		base := ToBaseUnits(d, decimals)
		if got := Format(FromBaseUnits(base, decimals)); got != formatted {
			t.Fatalf("round trip of %q at %d decimals: %s != %s", s, decimals, got, formatted)
		}
		again, err := Parse(formatted, decimals)
		if err != nil || !again.Equal(d) {
			t.Fatalf("Parse(Format(%q)) = %s, %v", s, again, err)
		}
		if strings.ContainsAny(formatted, "eE") || (strings.Contains(formatted, ".") && strings.HasSuffix(formatted, "0")) {
			t.Fatalf("Format(%q) = %s is not canonical", s, formatted)
		}
		raw, _ := json.Marshal(formatted)
		if fromJSON, err := ParseJSON(raw, decimals); err != nil || !fromJSON.Equal(d) {
			t.Fatalf("ParseJSON(%s) = %s, %v", raw, fromJSON, err)
		}
	})
}
