package sign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// exampleBody is the request of the contract's example in section 3.
const exampleBody = `{"amount":"12.5","chain":"ETH","request_id":"w-1","symbol":"USDT","timestamp":1758610297,"to_address":"0xab"}`

// hmacHex computes the expected signature independently of the package.
func hmacHex(secret, msg string) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(msg))
	return hex.EncodeToString(h.Sum(nil))
}

func mustFields(t *testing.T, body string) Fields {
	t.Helper()
	f, err := ParseFields([]byte(body))
	if err != nil {
		t.Fatalf("ParseFields(%s): %v", body, err)
	}
	return f
}

func TestCanonical(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"contract example", exampleBody,
			"amount=12.5&chain=ETH&request_id=w-1&symbol=USDT&timestamp=1758610297&to_address=0xab"},
		{"number kept as written", `{"amount":12.50,"request_id":"a"}`, "amount=12.50&request_id=a"},
		{"exponent kept as written", `{"amount":1.25e1}`, "amount=1.25e1"},
		{"empty and null skipped", `{"a":"","b":null,"c":"x","d": null }`, "c=x"},
		{"zero kept", `{"status":0,"request_id":"r"}`, "request_id=r&status=0"},
		{"booleans", `{"t":true,"f":false}`, "f=false&t=true"},
		{"sign left out", `{"sign":"abc","a":"1"}`, "a=1"},
		{"escapes resolved", `{"m":"a\"b\\c\u00e9\n"}`, "m=a\"b\\c\u00e9\n"},
		{"byte order sort", `{"b":"1","B":"2","a_b":"3","a":"4","aa":"5"}`, "B=2&a=4&a_b=3&aa=5&b=1"},
		{"object compact", `{"meta": { "x" : [1, 2 ], "y":"z" }}`, `meta={"x":[1,2],"y":"z"}`},
		{"empty object kept", `{"o":{},"l":[]}`, "l=[]&o={}"},
		{"whitespace string kept", `{"s":" "}`, "s= "},
		{"nothing", `{}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Canonical(mustFields(t, tt.body)); got != tt.want {
				t.Fatalf("Canonical = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseFields(t *testing.T) {
	tests := []struct {
		body    string
		wantErr bool
	}{
		{`{"a":1}`, false},
		{` { "a" : "x" } `, false},
		{`{}`, false},
		{`[1,2]`, true},
		{`"str"`, true},
		{`null`, true},
		{`12`, true},
		{``, true},
		{`{"a":1`, true},
		{`{"a":1}{"b":2}`, true},
		{`{"a":1} x`, true},
		{`{"a":1,"a":2}`, true},
		{`not json`, true},
	}
	for _, tt := range tests {
		_, err := ParseFields([]byte(tt.body))
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseFields(%q) err = %v, wantErr %v", tt.body, err, tt.wantErr)
		}
	}
}

func TestComputeAndVerify(t *testing.T) {
	secret := []byte("dev-secret")
	canonical := "amount=12.5&chain=ETH&request_id=w-1&symbol=USDT&timestamp=1758610297&to_address=0xab"
	want := hmacHex("dev-secret", canonical)
	// Also pinned, as computed with `openssl dgst -sha256 -hmac dev-secret`.
	if want != "a88446df4908ca4349745595fdb64a2d3d448c5eda5e073530165105d3df5609" {
		t.Fatalf("reference HMAC = %s", want)
	}
	f := mustFields(t, exampleBody)
	if got := Compute(secret, f); got != want {
		t.Fatalf("Compute = %s, want %s", got, want)
	}

	signed := strings.TrimSuffix(exampleBody, "}") + `,"sign":"` + want + `"}`
	upper := strings.TrimSuffix(exampleBody, "}") + `,"sign":"` + strings.ToUpper(want) + `"}`
	tests := []struct {
		name    string
		body    string
		secret  string
		wantErr error
	}{
		{"valid", signed, "dev-secret", nil},
		{"valid upper-case hex", upper, "dev-secret", nil},
		{"extra empty field still valid", strings.TrimSuffix(signed, "}") + `,"memo":"","x":null}`, "dev-secret", nil},
		{"wrong secret", signed, "other", ErrBadSign},
		{"tampered amount", strings.Replace(signed, `"12.5"`, `"12.6"`, 1), "dev-secret", ErrBadSign},
		{"number instead of string same text", strings.Replace(signed, `"12.5"`, `12.5`, 1), "dev-secret", nil},
		{"number with other text", strings.Replace(signed, `"12.5"`, `12.50`, 1), "dev-secret", ErrBadSign},
		{"missing sign", exampleBody, "dev-secret", ErrMissingSign},
		{"empty sign", strings.TrimSuffix(exampleBody, "}") + `,"sign":""}`, "dev-secret", ErrMissingSign},
		{"null sign", strings.TrimSuffix(exampleBody, "}") + `,"sign":null}`, "dev-secret", ErrMissingSign},
		{"non-hex sign", strings.TrimSuffix(exampleBody, "}") + `,"sign":"zz"}`, "dev-secret", ErrBadSign},
		{"numeric sign", strings.TrimSuffix(exampleBody, "}") + `,"sign":12}`, "dev-secret", ErrBadSign},
		{"short sign", strings.TrimSuffix(exampleBody, "}") + `,"sign":"` + want[:10] + `"}`, "dev-secret", ErrBadSign},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify([]byte(tt.secret), mustFields(t, tt.body))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestCheckTimestamp(t *testing.T) {
	now := time.Unix(1758610297, 0)
	skew := 300 * time.Second
	tests := []struct {
		name    string
		body    string
		wantErr error
	}{
		{"exact", `{"timestamp":1758610297}`, nil},
		{"edge past", `{"timestamp":1758609997}`, nil},
		{"edge future", `{"timestamp":1758610597}`, nil},
		{"numeric string", `{"timestamp":"1758610297"}`, nil},
		{"too old", `{"timestamp":1758609996}`, ErrStaleTimestamp},
		{"too new", `{"timestamp":1758610598}`, ErrStaleTimestamp},
		{"milliseconds", `{"timestamp":1758610297000}`, ErrStaleTimestamp},
		{"fraction", `{"timestamp":1758610297.5}`, ErrStaleTimestamp},
		{"exponent", `{"timestamp":1.758610297e9}`, ErrStaleTimestamp},
		{"word", `{"timestamp":"soon"}`, ErrStaleTimestamp},
		{"bool", `{"timestamp":true}`, ErrStaleTimestamp},
		{"huge", `{"timestamp":99999999999999999999}`, ErrStaleTimestamp},
		{"huge negative", `{"timestamp":-9223372036854775808}`, ErrStaleTimestamp},
		{"missing", `{}`, ErrMissingTimestamp},
		{"null", `{"timestamp":null}`, ErrMissingTimestamp},
		{"empty", `{"timestamp":""}`, ErrMissingTimestamp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckTimestamp(mustFields(t, tt.body), now, skew)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("CheckTimestamp = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

type ret struct {
	RequestID string `json:"request_id"`
	Event     string `json:"event"`
	Status    int    `json:"status"`
	Amount    string `json:"amount,omitempty"`
	Message   string `json:"message"`
	Timestamp int64  `json:"timestamp,omitempty"`
}

func TestSeal(t *testing.T) {
	secret := []byte("s3cret")
	ts := time.Unix(1758610297, 0)
	tests := []struct {
		name    string
		v       any
		wantTS  string
		wantOut string // exact output without the sign field; empty skips the check
	}{
		{
			name:    "struct gets timestamp",
			v:       ret{RequestID: "w-1", Event: "withdraw", Status: 0, Message: "a <b> & c"},
			wantTS:  "1758610297",
			wantOut: `{"event":"withdraw","message":"a <b> & c","request_id":"w-1","status":0,"timestamp":1758610297}`,
		},
		{
			name:   "existing timestamp kept",
			v:      ret{RequestID: "w-1", Event: "withdraw", Status: 1, Amount: "12.5", Timestamp: 42},
			wantTS: "42",
		},
		{
			name:   "map with zero timestamp replaced",
			v:      map[string]any{"request_id": "r", "timestamp": 0, "sign": "stale"},
			wantTS: "1758610297",
		},
		{
			name:   "map with raw number",
			v:      map[string]any{"amount": json.Number("12.50"), "request_id": "r"},
			wantTS: "1758610297",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Seal(secret, tt.v, ts)
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			f := mustFields(t, string(out))
			if string(f[FieldTimestamp]) != tt.wantTS {
				t.Errorf("timestamp = %s, want %s", f[FieldTimestamp], tt.wantTS)
			}
			if err := Verify(secret, f); err != nil {
				t.Errorf("Verify(Seal) = %v", err)
			}
			var sig string
			if err := json.Unmarshal(f[FieldSign], &sig); err != nil {
				t.Fatal(err)
			}
			if want := hmacHex(string(secret), Canonical(f)); sig != want {
				t.Errorf("sign = %s, want %s", sig, want)
			}
			if tt.wantOut != "" {
				// "sign" sorts between "request_id" and "status".
				exp := strings.Replace(tt.wantOut, `,"status"`, `,"sign":"`+sig+`","status"`, 1)
				if string(out) != exp {
					t.Errorf("Seal =\n%s\nwant\n%s", out, exp)
				}
			}
		})
	}
}

func TestSealRejectsNonObjects(t *testing.T) {
	for _, v := range []any{[]int{1}, "x", 3, nil} {
		if _, err := Seal([]byte("k"), v, time.Now()); err == nil {
			t.Errorf("Seal(%v) succeeded", v)
		}
	}
}
