package request

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/sign"
)

// recorder keeps what the gate publishes.
type recorder struct {
	mu   sync.Mutex
	msgs []broker.Message
}

func (r *recorder) Publish(_ context.Context, _, _ string, m broker.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
	return nil
}

var (
	current  = []byte("new-secret")
	previous = []byte("old-secret")
	gateNow  = time.Unix(1_800_000_000, 0)
)

func newGate(pub Publisher, known map[string]bool) *Gate {
	return &Gate{
		Secrets: [][]byte{current, previous}, MaxSkew: 300 * time.Second,
		Now:       func() time.Time { return gateNow },
		Publisher: pub, Exchange: "pay.exchange", ReturnKey: "pay.withdraw.return",
		Sealer: sign.Sealer{Secret: current, Now: func() time.Time { return gateNow }},
		Replay: func(_ context.Context, id string) (bool, error) {
			if known[id] {
				return true, pub.Publish(context.Background(), "", "", broker.Message{MessageID: id + ":stored"})
			}
			return false, nil
		},
		Log: zerolog.Nop(),
	}
}

func sealed(t *testing.T, secret []byte, fields map[string]any) []byte {
	t.Helper()
	body, err := sign.Seal(secret, fields, gateNow)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func TestAdmit(t *testing.T) {
	g := newGate(&recorder{}, nil)
	fresh := gateNow.Unix()
	cases := []struct {
		name string
		body []byte
		code string // "" admitted, "poison" dead-lettered
	}{
		{"signed with the current secret", sealed(t, current, map[string]any{"request_id": "r-1", "timestamp": fresh}), ""},
		{"signed with the previous secret", sealed(t, previous, map[string]any{"request_id": "r-1", "timestamp": fresh}), ""},
		{"signed with another secret", sealed(t, []byte("other"), map[string]any{"request_id": "r-1", "timestamp": fresh}), contract.ErrBadSignature},
		{"unsigned", []byte(`{"request_id":"r-1","timestamp":1800000000}`), contract.ErrBadSignature},
		{"wrong sign", []byte(`{"request_id":"r-1","timestamp":1800000000,"sign":"00"}`), contract.ErrBadSignature},
		{"stale", sealed(t, current, map[string]any{"request_id": "r-1", "timestamp": fresh - 301}), contract.ErrStaleTimestamp},
		{"future", sealed(t, current, map[string]any{"request_id": "r-1", "timestamp": fresh + 301}), contract.ErrStaleTimestamp},
		// A return is signed with the same secret: it must never pass.
		{"signed return", sealed(t, current, map[string]any{"request_id": "r-1", "event": "pay", "status": 0, "timestamp": fresh}), contract.ErrInvalidRequest},
		{"status only", sealed(t, current, map[string]any{"request_id": "r-1", "status": 1, "timestamp": fresh}), contract.ErrInvalidRequest},
		{"null event", []byte(`{"request_id":"r-1","event":null}`), contract.ErrInvalidRequest},
		{"no request_id", []byte(`{"user_id":"x"}`), "poison"},
		{"not JSON", []byte(`garbage`), "poison"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := g.Admit(c.body)
			var rej Rejection
			switch {
			case c.code == "":
				if err != nil {
					t.Fatalf("Admit = %v, want admitted", err)
				}
			case c.code == "poison":
				if _, ok := broker.IsPoison(err); !ok {
					t.Fatalf("Admit = %v, want poison", err)
				}
			case !errors.As(err, &rej) || rej.Code != c.code:
				t.Fatalf("Admit = %v, want rejection %s", err, c.code)
			}
		})
	}
}

func TestHandle(t *testing.T) {
	fresh := gateNow.Unix()
	cases := []struct {
		name       string
		body       []byte
		known      bool
		wantAccept bool
		wantID     string // message_id prefix published
		wantCode   string
	}{
		{"fresh signed request", sealed(t, current, map[string]any{"request_id": "w-1", "timestamp": fresh}), false, true, "", ""},
		{"stale signed repeat of a known request", sealed(t, current, map[string]any{"request_id": "w-1", "timestamp": fresh - 3600}), true, false, "w-1:stored", ""},
		{"stale signed unknown request", sealed(t, current, map[string]any{"request_id": "w-1", "timestamp": fresh - 3600}), false, false, "w-1:rejected:", contract.ErrStaleTimestamp},
		{"unsigned repeat of a known request", []byte(`{"request_id":"w-1","timestamp":1800000000}`), true, false, "w-1:rejected:", contract.ErrBadSignature},
		{"return replayed", sealed(t, current, map[string]any{"request_id": "w-1", "event": "withdraw", "status": 0, "to_address": "0xab"}), true, false, "w-1:rejected:", contract.ErrInvalidRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pub := &recorder{}
			g := newGate(pub, map[string]bool{"w-1": c.known})
			var got bool
			err := g.Handle(t.Context(), broker.Delivery{Body: c.body}, func(context.Context, Envelope) error {
				got = true
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if got != c.wantAccept {
				t.Fatalf("accepted = %v, want %v", got, c.wantAccept)
			}
			if c.wantID == "" {
				if len(pub.msgs) != 0 {
					t.Fatalf("published %d messages, want none", len(pub.msgs))
				}
				return
			}
			if len(pub.msgs) != 1 || !strings.HasPrefix(pub.msgs[0].MessageID, c.wantID) {
				t.Fatalf("published %+v, want one message %s…", pub.msgs, c.wantID)
			}
			if c.wantCode == "" {
				return
			}
			f, err := sign.ParseFields(pub.msgs[0].Body)
			if err != nil || sign.Verify(current, f) != nil {
				t.Fatalf("rejected return not signed with the current secret: %s", pub.msgs[0].Body)
			}
			for k, want := range map[string]string{"event": `"rejected"`, "status": "0", "error": `"` + c.wantCode + `"`, "request_id": `"w-1"`} {
				if string(f[k]) != want {
					t.Errorf("%s = %s, want %s", k, f[k], want)
				}
			}
			if _, ok := f["to_address"]; ok {
				t.Error("the rejected return echoes a field the sender chose")
			}
		})
	}
}

// TestRejectMessageID: a redelivery of one message keeps its id, another
// message with the same request_id gets another.
func TestRejectMessageID(t *testing.T) {
	pub := &recorder{}
	g := newGate(pub, nil)
	for _, body := range []string{`{"request_id":"x"}`, `{"request_id":"x"}`, `{"request_id":"x","a":1}`} {
		if err := g.Handle(t.Context(), broker.Delivery{Body: []byte(body)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if pub.msgs[0].MessageID != pub.msgs[1].MessageID || pub.msgs[0].MessageID == pub.msgs[2].MessageID {
		t.Fatalf("message ids %s %s %s", pub.msgs[0].MessageID, pub.msgs[1].MessageID, pub.msgs[2].MessageID)
	}
}
