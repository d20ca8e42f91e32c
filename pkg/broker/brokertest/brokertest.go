// Package brokertest gives a test the real broker to itself: a public and an
// internal virtual host that exist for the test alone, clients on them, and
// the deliveries of their queues with a deadline.
package brokertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os/exec"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/rs/zerolog"

	"paysuite/pkg/broker"
)

// URL is the test broker without a virtual host (guest may reach every
// virtual host a test creates).
const URL = "amqp://guest:guest@127.0.0.1:5672/"

// Wait bounds every wait for a delivery.
const Wait = time.Minute

// Vhosts are the two virtual hosts of one deployment, by URL.
type Vhosts struct {
	Public, Internal string
}

// Config is cfg pointed at v, as a service reads it from AMQP_URL and
// AMQP_INTERNAL_URL.
func (v Vhosts) Config(cfg broker.Config) broker.Config {
	cfg.URL, cfg.InternalURL = v.Public, v.Internal
	return cfg
}

// NewVhosts creates a public and an internal virtual host named after prefix
// and a random suffix; both are deleted when the test ends.
func NewVhosts(t testing.TB, prefix string) Vhosts {
	t.Helper()
	name := prefix + "-" + randomID(t)
	return Vhosts{Public: Vhost(t, name), Internal: Vhost(t, name+"-internal")}
}

// Vhost creates the virtual host name, open to guest, deleted when the test
// ends, and returns its URL.
func Vhost(t testing.TB, name string) string {
	t.Helper()
	rabbitmqctl(t, "add_vhost", name)
	t.Cleanup(func() { rabbitmqctl(t, "delete_vhost", name) })
	rabbitmqctl(t, "set_permissions", "-p", name, "guest", ".*", ".*", ".*")
	return URL + url.PathEscape(name)
}

func rabbitmqctl(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command("rabbitmqctl", args...).CombinedOutput(); err != nil {
		t.Fatalf("rabbitmqctl %v: %v\n%s", args, err, out)
	}
}

func randomID(t testing.TB) string {
	t.Helper()
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

// Dial connects to the virtual host at amqpURL, declaring topo as the
// services do; the client is closed when the test ends.
func Dial(t testing.TB, amqpURL string, topo broker.Topology) *broker.Client {
	t.Helper()
	c, err := broker.Dial(t.Context(), broker.Config{URL: amqpURL, Name: "test-" + t.Name()}, topo, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// RawChannel connects to the virtual host at amqpURL with the plain AMQP client, as a system
// outside the suite would, and opens a channel on it, in confirm mode when confirm is set. The
// connection is closed when the test ends, or earlier by the caller.
func RawChannel(t testing.TB, amqpURL string, confirm bool) (*amqp.Connection, *amqp.Channel) {
	t.Helper()
	conn, err := amqp.Dial(amqpURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if confirm {
		if err := ch.Confirm(false); err != nil {
			t.Fatal(err)
		}
	}
	return conn, ch
}

// PublishConfirmed publishes msg as mandatory on ch, a channel in confirm mode, and fails the
// test unless the broker confirms it.
func PublishConfirmed(t testing.TB, ch *amqp.Channel, exchange, key string, msg amqp.Publishing) {
	t.Helper()
	conf, err := ch.PublishWithDeferredConfirmWithContext(t.Context(), exchange, key, true, false, msg)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := conf.WaitContext(t.Context()); err != nil || !ok {
		t.Fatalf("publish to %q with key %q not confirmed: %v", exchange, key, err)
	}
}

// Follow consumes queue until the test ends and hands over every delivery.
func Follow(t testing.TB, c *broker.Client, queue string) <-chan broker.Delivery {
	t.Helper()
	ch := make(chan broker.Delivery, 1024)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := c.Consume(ctx, queue, 1, func(_ context.Context, d broker.Delivery) error {
			ch <- d
			return nil
		})
		if err != nil {
			t.Errorf("follow %s: %v", queue, err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return ch
}

// Next is the next delivery of ch, or fails the test after Wait.
func Next(t testing.TB, ch <-chan broker.Delivery, what string) broker.Delivery {
	t.Helper()
	select {
	case d := <-ch:
		return d
	case <-time.After(Wait):
		t.Fatalf("%s: nothing within %s", what, Wait)
		return broker.Delivery{}
	}
}

// DeadReason is the reason a dead letter was dead-lettered for.
func DeadReason(d broker.Delivery) string {
	reason, _ := d.Headers[broker.HeaderDeadReason].(string)
	return reason
}

// DeadCode is the machine-readable code of a dead letter (broker.DeadCode...).
func DeadCode(d broker.Delivery) string {
	code, _ := d.Headers[broker.HeaderDeadCode].(string)
	return code
}
