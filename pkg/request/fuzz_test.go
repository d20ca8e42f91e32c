package request

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/sign"
)

var openSeeds = []string{
	`{"request_id":"r-1"}`,
	`{"request_id":"w-1","to_address":"0xab","amount":"12.5","timestamp":1800000000,"sign":"00"}`,
	`{"request_id":"r-1","event":"withdraw","status":1}`,
	`{"request_id":"has space"}`, `{"request_id":42}`, `{"request_id":""}`, `not json`, `[1,2]`,
	`{"request_id":"r","request_id":"s"}`, `{"request_id":"r"} trailing`, `{"request_id":"\u0072"}`,
}

// FuzzOpen checks, for any body: no panic; a body that cannot be answered is
// a poison message; an opened envelope has a valid request_id, the one the
// body holds; reading any of its fields as a string never panics and keeps
// to the limit.
func FuzzOpen(f *testing.F) {
	for _, s := range openSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := Open(body)
		if err != nil {
			if _, poison := broker.IsPoison(err); !poison {
				t.Fatalf("Open(%q) = %v, not a poison message", body, err)
			}
			return
		}
		var id string
		if !contract.ValidRequestID(env.RequestID) || json.Unmarshal(env.Fields["request_id"], &id) != nil || id != env.RequestID {
			t.Fatalf("Open(%q) opened request_id %q", body, env.RequestID)
		}
		for name := range env.Fields {
			if s, err := env.String(name, 8); err == nil && len([]rune(s)) > 8 {
				t.Fatalf("String(%q, 8) = %q, beyond the limit", name, s)
			}
			if s, ok := env.Bytes(name, 8); ok && len(s) > 8 {
				t.Fatalf("Bytes(%q, 8) = %q, beyond the limit", name, s)
			}
		}
	})
}

// FuzzAdmit checks, for the fields of any body sealed with the current or
// the previous secret at the gate's time: the gate admits it exactly when it
// is a request (a usable request_id, no event or status), and refuses it once
// a field is added after sealing.
func FuzzAdmit(f *testing.F) {
	for _, s := range openSeeds {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	g := newGate(&recorder{}, nil)
	f.Fuzz(func(t *testing.T, body []byte, withCurrent bool) {
		fields, err := sign.ParseFields(body)
		if err != nil {
			return
		}
		fields[sign.FieldTimestamp] = json.RawMessage(`1800000000`)
		secret := previous
		if withCurrent {
			secret = current
		}
		sealedBody, err := sign.Seal(secret, fields, gateNow)
		if err != nil {
			t.Fatalf("seal %q: %v", body, err)
		}
		_, openErr := Open(sealedBody)
		_, isReturn := fields["event"]
		if _, ok := fields["status"]; ok {
			isReturn = true
		}
		env, err := g.Admit(sealedBody)
		var rej Rejection
		switch {
		case openErr != nil:
			if _, poison := broker.IsPoison(err); !poison {
				t.Fatalf("Admit(%q) = %v, want a poison message", sealedBody, err)
			}
			return
		case isReturn:
			if !errors.As(err, &rej) || rej.Code != contract.ErrInvalidRequest {
				t.Fatalf("Admit(%q) = %v, want invalid_request", sealedBody, err)
			}
			return
		case err != nil:
			t.Fatalf("Admit(%q) refuses a sealed request: %v", sealedBody, err)
		}
		if !contract.ValidRequestID(env.RequestID) {
			t.Fatalf("Admit(%q) admitted request_id %q", sealedBody, env.RequestID)
		}

		if _, dup := fields["zz_added_after_sealing"]; dup {
			return
		}
		tampered := bytes.TrimSuffix(bytes.TrimSpace(sealedBody), []byte("}"))
		tampered = append(tampered, []byte(`,"zz_added_after_sealing":"1"}`)...)
		if _, err := g.Admit(tampered); !errors.As(err, &rej) || rej.Code != contract.ErrBadSignature {
			t.Fatalf("Admit(%q) = %v, want bad_signature", tampered, err)
		}
	})
}
