package money

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks, for any text and decimals: no panic; a refusal wraps
// ErrInvalidAmount; an accepted amount is positive, has at most decimals
// fractional digits, is at most MaxBaseUnits in base units, formats
// canonically, and survives Format/Parse, base units and JSON round trips.
func FuzzParse(f *testing.F) {
	seeds := []string{
		"12.5", "0.000001", "100", "1e3", "1.500000000", "123456789012345678901234567890.123456", "9.99e-5",
		"1e70", "1e999999999", "-1", "0", "1E+2", "007", strings.Repeat("9", 65), strings.Repeat("9", 66),
		"115792089237316195423570985008687907853269984665640564039457.584007913129639936",
	}
	for _, s := range seeds {
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
		if d.Sign() <= 0 {
			t.Fatalf("Parse(%q) = %s, not positive", s, d)
		}
		formatted := Format(d)
		if _, frac, ok := strings.Cut(formatted, "."); ok && len(frac) > int(decimals) {
			t.Fatalf("Parse(%q, %d) = %s has more decimals than the token", s, decimals, formatted)
		}
		base := ToBaseUnits(d, decimals)
		if base.Cmp(MaxBaseUnits()) > 0 {
			t.Fatalf("Parse(%q, %d) = %s base units, beyond MaxBaseUnits", s, decimals, base)
		}
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
		if fromNumber, err := ParseJSON(json.RawMessage(formatted), decimals); err != nil || !fromNumber.Equal(d) {
			t.Fatalf("ParseJSON(%s) as a number = %s, %v", formatted, fromNumber, err)
		}
	})
}

// FuzzParseJSON checks, for any JSON value: no panic; a refusal wraps
// ErrInvalidAmount; an accepted amount is what Parse makes of the same text
// (the string's content, or the number's literal), within the bounds.
func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{`"12.5"`, `12.5`, ` 1e-6 `, `"\u0031\u0032"`, `1e70`, `"1e70"`, `0.30000000000000004`,
		`null`, `true`, `[1]`, `{"a":1}`, `-5`, `01`, `"12.5`, `1e999999999`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		const decimals = 6
		d, err := ParseJSON(raw, decimals)
		if err != nil {
			if !errors.Is(err, ErrInvalidAmount) {
				t.Fatalf("ParseJSON(%q) error %v does not wrap ErrInvalidAmount", raw, err)
			}
			return
		}
		var text string
		if err := json.Unmarshal(raw, &text); err != nil {
			var n json.Number
			if err := json.Unmarshal(raw, &n); err != nil {
				t.Fatalf("ParseJSON accepted %q, which is neither a JSON string nor a number", raw)
			}
			text = n.String()
		}
		want, err := Parse(text, decimals)
		if err != nil || !want.Equal(d) {
			t.Fatalf("ParseJSON(%q) = %s, but Parse(%q) = %s, %v", raw, d, text, want, err)
		}
		if d.Sign() <= 0 || ToBaseUnits(d, decimals).Cmp(MaxBaseUnits()) > 0 {
			t.Fatalf("ParseJSON(%q) = %s is out of bounds", raw, d)
		}
	})
}
