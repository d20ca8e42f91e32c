package sign

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"testing"
	"time"
)

// FuzzCanonical checks, for any body ParseFields accepts: the canonical text
// does not depend on the order of the keys or on the whitespace between them,
// ignores the sign field, and what Compute signs Verify accepts under that
// secret alone; and Seal's output parses again and verifies.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{
		`{"request_id":"w-1","amount":"12.5","chain":"ETH","symbol":"USDT","timestamp":1758610297,"to_address":"0xab"}`,
		`{"amount":12.50,"b":true,"c":null,"d":"","e":{"x": [1, 2]},"sign":"00"}`,
		`{"a":"\u00e9\n","b":"x&y=z","c":-0.0e+5}`,
		`{}`, `[1]`, `{"a":1,"a":2}`, `{"a":1} {}`, `{"\ud800":"\udfff"}`,
	} {
		f.Add([]byte(s))
	}
	secret, other := []byte("fuzz-secret"), []byte("fuzz-other-secret")
	f.Fuzz(func(t *testing.T, body []byte) {
		fields, err := ParseFields(body)
		if err != nil {
			return
		}
		canonical := Canonical(fields)

		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range fields {
				if !yield(k) {
					return
				}
			}
		})
		slices.Reverse(keys)
		var rebuilt bytes.Buffer
		rebuilt.WriteString("{ ")
		for i, k := range keys {
			if i > 0 {
				rebuilt.WriteString(" ,\n")
			}
			name, err := json.Marshal(k)
			if err != nil {
				t.Fatal(err)
			}
			rebuilt.Write(name)
			rebuilt.WriteString(" : ")
			rebuilt.Write(fields[k])
		}
		rebuilt.WriteString(" }")
		reordered, err := ParseFields(rebuilt.Bytes())
		if err != nil {
			t.Fatalf("the fields of %q, reordered as %q, do not parse: %v", body, rebuilt.Bytes(), err)
		}
		if got := Canonical(reordered); got != canonical {
			t.Fatalf("canonical text changes with the order of the keys:\n%q\n%q", canonical, got)
		}

		signed := Fields{}
		for k, v := range fields {
			signed[k] = v
		}
		signed[FieldSign] = json.RawMessage(strconv.Quote(Compute(secret, fields)))
		if got := Canonical(signed); got != canonical {
			t.Fatalf("the sign field changes the canonical text: %q != %q", got, canonical)
		}
		if err := Verify(secret, signed); err != nil {
			t.Fatalf("Verify rejects what Compute signed: %v", err)
		}
		if err := Verify(other, signed); err == nil {
			t.Fatal("Verify accepts a signature under another secret")
		}

		sealed, err := Seal(secret, fields, time.Unix(1758610297, 0))
		if err != nil {
			t.Fatalf("Seal refuses the fields of %q: %v", body, err)
		}
		back, err := ParseFields(sealed)
		if err != nil {
			t.Fatalf("Seal's output %q does not parse: %v", sealed, err)
		}
		if err := Verify(secret, back); err != nil {
			t.Fatalf("Seal's output %q does not verify: %v", sealed, err)
		}
	})
}
