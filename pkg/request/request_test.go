package request

import (
	"errors"
	"testing"
	"time"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/sign"
)

func TestOpen(t *testing.T) {
	cases := []struct {
		body   string
		poison bool
	}{
		{`{"request_id":"r-1"}`, false},
		{`not json`, true},
		{`[1,2]`, true},
		{`{"user_id":"x"}`, true},
		{`{"request_id":42}`, true},
		{`{"request_id":"has space"}`, true},
		{`{"request_id":""}`, true},
	}
	for _, c := range cases {
		env, err := Open([]byte(c.body))
		if _, poison := broker.IsPoison(err); poison != c.poison {
			t.Errorf("Open(%s) = %v, want poison %v", c.body, err, c.poison)
		}
		if !c.poison && env.RequestID != "r-1" {
			t.Errorf("Open(%s).RequestID = %q", c.body, env.RequestID)
		}
	}
}

func TestAuthenticate(t *testing.T) {
	secret := []byte("s3cret")
	now := time.Unix(1_800_000_000, 0)
	signed := func(ts int64) []byte {
		body, err := sign.Seal(secret, map[string]any{"request_id": "r-1", "timestamp": ts}, now)
		if err != nil {
			t.Fatal(err)
		}
		return body
	}
	cases := []struct {
		name string
		body []byte
		code string
	}{
		{"valid", signed(now.Unix()), ""},
		{"unsigned", []byte(`{"request_id":"r-1","timestamp":1800000000}`), contract.ErrBadSignature},
		{"wrong sign", []byte(`{"request_id":"r-1","timestamp":1800000000,"sign":"00"}`), contract.ErrBadSignature},
		{"stale", signed(now.Unix() - 301), contract.ErrStaleTimestamp},
		{"future", signed(now.Unix() + 301), contract.ErrStaleTimestamp},
	}
	for _, c := range cases {
		env, err := Open(c.body)
		if err != nil {
			t.Fatal(err)
		}
		err = env.Authenticate(secret, now, 300*time.Second)
		var ref Refusal
		switch {
		case c.code == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.code != "" && (!errors.As(err, &ref) || ref.Code != c.code):
			t.Errorf("%s: got %v, want %s", c.name, err, c.code)
		}
	}
}

func TestString(t *testing.T) {
	env, err := Open([]byte(`{"request_id":"r","a":"x","b":null,"c":"","d":7,"e":"toolong"}`))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"a": "x", "b": "", "c": "", "missing": ""} {
		if got, err := env.String(name, 5); err != nil || got != want {
			t.Errorf("String(%s) = %q, %v", name, got, err)
		}
	}
	for _, name := range []string{"d", "e"} {
		var ref Refusal
		if _, err := env.String(name, 5); !errors.As(err, &ref) || ref.Code != contract.ErrInvalidRequest {
			t.Errorf("String(%s) = %v, want invalid_request", name, err)
		}
	}
}

func TestBytes(t *testing.T) {
	env, err := Open([]byte(`{"request_id":"r","a":"abc","b":"€€","c":7}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		want string
		ok   bool
	}{{"a", "abc", true}, {"b", "", false}, {"c", "", false}, {"missing", "", true}} {
		got, ok := env.Bytes(tt.name, 4)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("Bytes(%s, 4) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}
