package request

import (
	"errors"
	"testing"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
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
