// Package money parses, converts and formats exact token amounts.
package money

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// ErrInvalidAmount is wrapped by every parse error.
var ErrInvalidAmount = errors.New("invalid amount")

// MaxBaseUnitDigits is the most decimal digits an amount may have in base
// units. An amount must fit both a uint256 on chain (2^256-1, 78 digits) and
// the DECIMAL(65,0) columns that store it (10^65-1); the column is the
// tighter bound.
const MaxBaseUnitDigits = 65

// MaxBaseUnits returns the largest amount accepted, in base units: 10^65-1,
// the smaller of 2^256-1 and what a DECIMAL(65,0) column holds.
func MaxBaseUnits() *big.Int {
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(MaxBaseUnitDigits), nil)
	return limit.Sub(limit, big.NewInt(1))
}

// maxInput bounds the raw text so that absurd inputs are refused before any work.
const maxInput = 256

// maxExponent bounds exponent notation, checked before any number is built:
// no amount within MaxBaseUnitDigits needs a larger one.
const maxExponent = 200

// ParseJSON reads an amount from a JSON value: a string ("12.5") or a number (12.5),
// the number read exactly from its literal text, never through float64.
func ParseJSON(raw json.RawMessage, decimals int32) (decimal.Decimal, error) {
	// JSON's whitespace only: bytes.TrimSpace would also take "\v" and U+0085,
	// which make the text no JSON at all.
	raw = bytes.Trim(raw, " \t\r\n")
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return decimal.Zero, invalid("missing")
	case len(raw) > maxInput:
		return decimal.Zero, invalid("too long")
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return decimal.Zero, invalid("malformed JSON string")
		}
		return Parse(s, decimals)
	case raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'):
		if !json.Valid(raw) {
			return decimal.Zero, invalid("malformed JSON number")
		}
		return Parse(string(raw), decimals)
	default:
		return decimal.Zero, invalid("must be a string or a number")
	}
}

// Parse reads a positive decimal amount with at most decimals fractional digits
// (trailing zeros do not count) and at most MaxBaseUnits in base units.
// Exponent notation is accepted when exact. The text's length, its exponent
// and its digit count are bounded before any number is built, so that an
// absurd input ("1e999999999") costs no more than a valid one.
func Parse(s string, decimals int32) (decimal.Decimal, error) {
	if decimals < 0 {
		return decimal.Zero, fmt.Errorf("%w: negative decimals %d", ErrInvalidAmount, decimals)
	}
	if s == "" {
		return decimal.Zero, invalid("empty")
	}
	if len(s) > maxInput {
		return decimal.Zero, invalid("too long")
	}
	rest := s
	negative := false
	if rest[0] == '-' {
		negative = true
		rest = rest[1:]
	}
	mantissa, exp, hasExp := strings.Cut(rest, "e")
	if !hasExp {
		mantissa, exp, hasExp = strings.Cut(rest, "E")
	}
	intPart, fracPart, hasDot := strings.Cut(mantissa, ".")
	if !digitsOnly(intPart) || (hasDot && !digitsOnly(fracPart)) {
		return decimal.Zero, invalid("not a decimal number")
	}
	scale := int64(len(fracPart)) // value = digits × 10^-scale
	if hasExp {
		body := exp
		if body != "" && (body[0] == '+' || body[0] == '-') {
			body = body[1:]
		}
		if !digitsOnly(body) {
			return decimal.Zero, invalid("malformed exponent")
		}
		e, err := strconv.ParseInt(exp, 10, 32)
		if err != nil || e > maxExponent || e < -maxExponent {
			return decimal.Zero, invalid("exponent out of range")
		}
		scale -= e
	}
	digits := strings.TrimLeft(intPart+fracPart, "0")
	if digits == "" {
		return decimal.Zero, invalid("must be greater than zero")
	}
	if negative {
		return decimal.Zero, invalid("must not be negative")
	}
	// Trailing zeros carry no precision: "1.500000000" has one fractional digit.
	trimmed := strings.TrimRight(digits, "0")
	scale -= int64(len(digits) - len(trimmed))
	digits = trimmed
	if scale > int64(decimals) {
		return decimal.Zero, invalid(fmt.Sprintf("more than %d decimal places", decimals))
	}
	// In base units the amount is digits followed by decimals-scale zeros; at
	// most MaxBaseUnitDigits digits is at most MaxBaseUnits.
	if int64(len(digits))+int64(decimals)-scale > MaxBaseUnitDigits {
		return decimal.Zero, invalid(fmt.Sprintf("more than %d digits in base units", MaxBaseUnitDigits))
	}
	n, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return decimal.Zero, invalid("not a decimal number")
	}
	return decimal.NewFromBigInt(n, int32(-scale)), nil
}

// ToBaseUnits converts an amount to the token's integer base units
// (12.345678 with 6 decimals is 12345678). Digits beyond decimals are dropped;
// amounts from Parse never have any.
func ToBaseUnits(d decimal.Decimal, decimals int32) *big.Int {
	return d.Shift(decimals).BigInt()
}

// FromBaseUnits converts integer base units to an amount.
func FromBaseUnits(v *big.Int, decimals int32) decimal.Decimal {
	if v == nil {
		return decimal.Zero
	}
	return decimal.NewFromBigInt(v, -decimals)
}

// Format renders an amount canonically: no exponent, no trailing fractional
// zeros, "0" for zero (12.50 is "12.5", 100 is "100").
func Format(d decimal.Decimal) string {
	return d.String()
}

func invalid(reason string) error {
	return fmt.Errorf("%w: %s", ErrInvalidAmount, reason)
}

func digitsOnly(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Units reads a whole number of base units as stored (a DECIMAL(65,0)
// column, a wei value); zero when s is not one.
func Units(s string) *big.Int {
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return new(big.Int)
	}
	return v
}

// NonNegative is v, or zero when v is negative.
func NonNegative(v *big.Int) *big.Int {
	if v.Sign() < 0 {
		return new(big.Int)
	}
	return v
}
