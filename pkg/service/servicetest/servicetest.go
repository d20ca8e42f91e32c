// Package servicetest is the other side of a service of the suite that a
// test runs in-process: it signs and publishes requests as a business system
// does, reads the flow's returns as a business system reads them, and opens
// the sealed messages the service hands the operator (alerts) and the
// notifier (webhooks).
package servicetest

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"paysuite/pkg/broker"
	"paysuite/pkg/broker/brokertest"
	pkgconfig "paysuite/pkg/config"
	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/sign"
	"paysuite/pkg/topology"
)

// Start runs a service as its main does: env set for the test, the
// configuration loaded from it, and run with it until the test ends, when an
// error run returns fails the test. It returns the configuration.
func Start[C any](t testing.TB, env map[string]string, run func(context.Context, C, zerolog.Logger) error) C {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg, err := pkgconfig.Load[C]()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the service stopped: %v", err)
		}
	})
	return cfg
}

// Connect connects the test to both virtual hosts of v, declaring on each
// its part of the suite's topology, as the services do.
func Connect(t testing.TB, v brokertest.Vhosts, names contract.Names) (public, internal *broker.Client) {
	t.Helper()
	pub, in := topology.Split(topology.Suite(names))
	return brokertest.Dial(t, v.Public, pub), brokertest.Dial(t, v.Internal, in)
}

// Sign is fields signed with secret at the time at, as a business system
// signs a request.
func Sign(t testing.TB, secret []byte, fields map[string]any, at time.Time) []byte {
	t.Helper()
	body, err := sign.Seal(secret, fields, at)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// Publish sends body straight to queue through the default exchange, as
// anyone with the broker's credentials can.
func Publish(t testing.TB, c *broker.Client, queue string, body []byte) {
	t.Helper()
	if err := c.Publish(t.Context(), "", queue, broker.Message{Body: body}); err != nil {
		t.Fatalf("publish to %s: %v", queue, err)
	}
}

// Return is one return as a business system reads it.
type Return struct {
	broker.Delivery
	Fields sign.Fields
}

// Next is the next message of ch, which must be a JSON object; it fails the
// test after brokertest.Wait.
func Next(t testing.TB, ch <-chan broker.Delivery, what string) Return {
	t.Helper()
	d := brokertest.Next(t, ch, what)
	f, err := sign.ParseFields(d.Body)
	if err != nil {
		t.Fatalf("%s: not a JSON object: %s", what, d.Body)
	}
	return Return{Delivery: d, Fields: f}
}

// Str reads a field: a string's value, or the JSON text of anything else.
func (r Return) Str(name string) string {
	var s string
	if json.Unmarshal(r.Fields[name], &s) == nil {
		return s
	}
	return string(r.Fields[name])
}

// Int reads a number field as a whole number; anything else reads as 0.
func (r Return) Int(name string) int {
	var n float64
	_ = json.Unmarshal(r.Fields[name], &n)
	return int(n)
}

// Is reports whether r is the return event of requestID with status.
func (r Return) Is(requestID, event string, status int) bool {
	return r.Str("request_id") == requestID && r.Str("event") == event && r.Int("status") == status
}

// SignedWith reports whether r is signed with secret.
func (r Return) SignedWith(secret []byte) bool { return sign.Verify(secret, r.Fields) == nil }

// rejectedFields are all a rejected return carries (contract section 2).
var rejectedFields = []string{"request_id", "event", "status", "error", "message", "timestamp", "sign"}

// CheckRejected checks that r is the rejected return of requestID with code:
// it echoes nothing the sender chose, and carries event and status, so it
// can never pass for a request.
func CheckRejected(t testing.TB, r Return, requestID, code string) {
	t.Helper()
	if !r.Is(requestID, contract.EventRejected, contract.StatusFailed) || r.Str("error") != code ||
		!strings.HasPrefix(r.MessageID, requestID+":rejected:") {
		t.Fatalf("got %s (message_id %s), want rejected with %s", r.Body, r.MessageID, code)
	}
	for name := range r.Fields {
		if !slices.Contains(rejectedFields, name) {
			t.Fatalf("rejected return echoes %s: %s", name, r.Body)
		}
	}
}

// Open is the next message of ch opened with keys and decoded into a T (an
// alert, a webhook).
func Open[T any](t testing.TB, keys events.Keys, ch <-chan broker.Delivery, what string) T {
	t.Helper()
	d := brokertest.Next(t, ch, what)
	var v T
	data, err := keys.Open(d)
	if err != nil || json.Unmarshal(data, &v) != nil {
		t.Fatalf("%s %s is not sealed with the suite's keys: %v", what, d.Body, err)
	}
	return v
}

// ExpectAlert reads the operator alerts of alerts until one of kind: every
// one opens with keys and comes from service.
func ExpectAlert(t testing.TB, keys events.Keys, alerts <-chan broker.Delivery, service, kind string) {
	t.Helper()
	for {
		a := Open[events.Alert](t, keys, alerts, kind+" alert")
		if a.Service != service {
			t.Fatalf("alert %+v, want one of %s", a, service)
		}
		if a.Kind == kind {
			return
		}
	}
}

// ExpectWebhook reads the next message of webhooks and checks that it opens
// with keys and hands the notifier r, a return of flow, byte for byte, for
// callback.
func ExpectWebhook(t testing.TB, keys events.Keys, webhooks <-chan broker.Delivery, flow string, r Return, callback string) {
	t.Helper()
	w := Open[events.Webhook](t, keys, webhooks, "webhook of "+r.Str("request_id")+" "+r.Str("event"))
	if w.Flow != flow || w.RequestID != r.Str("request_id") || w.CallbackURL != callback ||
		w.MessageID != r.MessageID || w.Body != string(r.Body) {
		t.Fatalf("webhook %+v, want return %s (message_id %s) for %s", w, r.Body, r.MessageID, callback)
	}
}

// Eventually polls cond until it holds, and fails the test after
// brokertest.Wait: for what a service does that the broker does not show (a
// row written, an outbox drained).
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(brokertest.Wait)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, brokertest.Wait)
		}
		<-tick.C
	}
}
