// Package sign implements the HMAC-SHA256 signature of requests and returns
// (contract section 3).
package sign

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Errors callers branch on: ErrMissingSign and ErrBadSign answer as the contract's
// bad_signature, ErrStaleTimestamp and ErrMissingTimestamp as stale_timestamp.
var (
	ErrMissingSign      = errors.New("missing sign")
	ErrBadSign          = errors.New("bad sign")
	ErrStaleTimestamp   = errors.New("stale timestamp")
	ErrMissingTimestamp = errors.New("missing timestamp")
)

// Field names the scheme reads.
const (
	FieldSign      = "sign"
	FieldTimestamp = "timestamp"
)

// Fields is a flat JSON object with each value kept as its raw JSON text, so that
// numbers are signed exactly as written.
type Fields map[string]json.RawMessage

// ParseFields reads a JSON object. A repeated key is refused: two parsers could
// otherwise disagree on which value was signed.
func ParseFields(body []byte) (Fields, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("parse fields: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("parse fields: not a JSON object")
	}
	f := Fields{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("parse fields: %w", err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errors.New("parse fields: malformed object")
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("parse fields: value of %q: %w", key, err)
		}
		if _, dup := f[key]; dup {
			return nil, fmt.Errorf("parse fields: repeated key %q", key)
		}
		f[key] = raw
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("parse fields: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("parse fields: data after the object")
	}
	return f, nil
}

// Canonical is the signed text: every field except "sign" whose value is neither
// null nor "", sorted by key in byte order, written key=value and joined by '&'.
// Strings are decoded, numbers kept as their literal text, true/false as is,
// objects and arrays as compact JSON.
func Canonical(f Fields) string {
	keys := make([]string, 0, len(f))
	for k := range f {
		if k != FieldSign {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		v, ok := value(f[k])
		if !ok {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
	}
	return b.String()
}

// value renders one field for Canonical; ok is false for fields left out.
func value(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "", false
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return string(raw), true
		}
		return s, s != ""
	case raw[0] == '{' || raw[0] == '[':
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return string(raw), true
		}
		return buf.String(), true
	default:
		return string(raw), true
	}
}

// Compute returns the lowercase hex HMAC-SHA256 of Canonical(f).
func Compute(secret []byte, f Fields) string {
	return hex.EncodeToString(mac(secret, f))
}

func mac(secret []byte, f Fields) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(Canonical(f)))
	return h.Sum(nil)
}

// Verify checks the "sign" field: ErrMissingSign when it is absent or empty,
// ErrBadSign when it does not match.
func Verify(secret []byte, f Fields) error { return VerifyAny([][]byte{secret}, f) }

// VerifyAny is Verify accepting a signature under any of secrets: during a
// rotation the new secret and the old one are both valid.
func VerifyAny(secrets [][]byte, f Fields) error {
	s, present, err := stringField(f, FieldSign)
	if !present {
		return ErrMissingSign
	}
	if err != nil {
		return fmt.Errorf("%w: sign must be a string", ErrBadSign)
	}
	// Comparing the decoded bytes accepts either hex case and stays constant-time.
	got, err := hex.DecodeString(s)
	if err != nil {
		return fmt.Errorf("%w: sign is not hex", ErrBadSign)
	}
	for _, secret := range secrets {
		if len(secret) > 0 && hmac.Equal(got, mac(secret, f)) {
			return nil
		}
	}
	return ErrBadSign
}

// CheckTimestamp checks that "timestamp" holds integer unix seconds (a JSON number
// or a numeric string) within maxSkew of now.
func CheckTimestamp(f Fields, now time.Time, maxSkew time.Duration) error {
	ts, present, err := timestamp(f)
	if !present {
		return ErrMissingTimestamp
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStaleTimestamp, err)
	}
	skew := now.Sub(time.Unix(ts, 0))
	if skew > maxSkew || skew < -maxSkew {
		return fmt.Errorf("%w: %d is %s from now", ErrStaleTimestamp, ts, skew.Round(time.Second))
	}
	return nil
}

// timestamp reads the "timestamp" field; present is false when it is absent,
// null or "".
func timestamp(f Fields) (ts int64, present bool, err error) {
	raw := bytes.TrimSpace(f[FieldTimestamp])
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false, nil
	}
	text := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			return 0, true, errors.New("timestamp is malformed")
		}
		if text == "" {
			return 0, false, nil
		}
	}
	ts, err = strconv.ParseInt(text, 10, 64)
	if err != nil {
		return 0, true, errors.New("timestamp is not integer unix seconds")
	}
	return ts, true, nil
}

// stringField reads a string field; present is false when it is absent, null or "".
func stringField(f Fields, key string) (s string, present bool, err error) {
	raw := bytes.TrimSpace(f[key])
	if len(raw) == 0 || string(raw) == "null" {
		return "", false, nil
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", true, err
	}
	return s, s != "", nil
}

// Seal marshals v (a struct or map) to a JSON object, sets "timestamp" to ts
// unless v already carries a non-zero one, signs every field and returns the JSON
// with its keys sorted.
func Seal(secret []byte, v any, ts time.Time) ([]byte, error) {
	body, err := marshal(v)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	f, err := ParseFields(body)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	if old, present, err := timestamp(f); !present || err != nil || old == 0 {
		f[FieldTimestamp] = json.RawMessage(strconv.FormatInt(ts.Unix(), 10))
	}
	delete(f, FieldSign)
	f[FieldSign] = json.RawMessage(strconv.Quote(Compute(secret, f)))
	out, err := marshal(map[string]json.RawMessage(f))
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return out, nil
}

// marshal is json.Marshal without HTML escaping, so that signed text reads as sent.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Sealer signs return messages with the suite's secret at the current time.
type Sealer struct {
	Secret []byte
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Seal renders v as the signed JSON body of a return.
func (s Sealer) Seal(v any) ([]byte, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	return Seal(s.Secret, v, now())
}
