package money

import (
	"encoding/json"
	"errors"
	"math/big"
	"runtime"
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
		{strings.Repeat("9", 65), 0, strings.Repeat("9", 65)},
		{strings.Repeat("9", 59) + ".999999", 6, strings.Repeat("9", 59) + ".999999"},
		{"1e58", 6, "1" + strings.Repeat("0", 58)},
		{"1e46", 18, "1" + strings.Repeat("0", 46)},
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
		{strings.Repeat("9", 66), 0, ""},
		{"1" + strings.Repeat("0", 59), 6, ""},
		{"1e59", 6, ""},
		{"1e47", 18, ""},
		{"1e65", 0, ""},
		{"1e70", 6, ""},
		{"1e999999999", 6, ""},
		{"1e-999999999", 6, ""},
		{"1e78", 0, ""},
		// 2^256 base units at 6 decimals, and 2^256-1: beyond the column.
		{"115792089237316195423570985008687907853269984665640564039457.584007913129639936", 6, ""},
		{"115792089237316195423570985008687907853269984665640564039457.584007913129639935", 6, ""},
		{"0." + strings.Repeat("0", 200) + "1", 6, ""},
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
		{"12.5\v", ""}, // not JSON whitespace
		{"\u00a012.5", ""},
		{`1e70`, ""},
		{`"1e70"`, ""},
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

func TestMaxBaseUnits(t *testing.T) {
	uint256Max := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	largest := MaxBaseUnits()
	if want := strings.Repeat("9", MaxBaseUnitDigits); largest.String() != want {
		t.Fatalf("MaxBaseUnits() = %s, want %s (DECIMAL(65,0))", largest, want)
	}
	if largest.Cmp(uint256Max) > 0 {
		t.Fatalf("MaxBaseUnits() = %s is beyond a uint256", largest)
	}
	largest.SetInt64(0) // a fresh value each call: callers may change it
	if MaxBaseUnits().Sign() == 0 {
		t.Fatal("MaxBaseUnits() shares its value between calls")
	}
	for _, decimals := range []int32{0, 6, 18} {
		d := FromBaseUnits(MaxBaseUnits(), decimals)
		if _, err := Parse(Format(d), decimals); err != nil {
			t.Errorf("the largest amount at %d decimals is refused: %v", decimals, err)
		}
		over := FromBaseUnits(new(big.Int).Add(MaxBaseUnits(), big.NewInt(1)), decimals)
		if _, err := Parse(Format(over), decimals); !errors.Is(err, ErrInvalidAmount) {
			t.Errorf("one base unit beyond the largest amount at %d decimals: %v, want invalid", decimals, err)
		}
	}
}

// Absurd amounts are refused from their text, before a number is built: a
// refusal allocates a few hundred bytes (its error), whatever the input.
func TestAbsurdAmountsRefusedCheaply(t *testing.T) {
	inputs := []string{
		"1e999999999", "1e-999999999", "9e99999999999999999999", "1e70", "1e66",
		strings.Repeat("9", 200), strings.Repeat("9", 100_000), "1." + strings.Repeat("0", 100_000) + "1",
	}
	for _, in := range inputs {
		raw := json.RawMessage(in)
		for name, parse := range map[string]func() error{
			"Parse":     func() error { _, err := Parse(in, 6); return err },
			"ParseJSON": func() error { _, err := ParseJSON(raw, 6); return err },
		} {
			if err := parse(); !errors.Is(err, ErrInvalidAmount) {
				t.Fatalf("%s(%.20s…) = %v, want invalid", name, in, err)
			}
			if n := bytesPerCall(50, func() { _ = parse() }); n > 4096 {
				t.Errorf("%s(%.20s…) allocates %d bytes to refuse it", name, in, n)
			}
		}
	}
}

// bytesPerCall is what f allocates on average over n calls. Bytes, not
// allocations: under the race detector sync.Pool drops its items at random,
// so the count of allocations varies, but not their size.
func bytesPerCall(n int, f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(n)
}
