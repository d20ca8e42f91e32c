package broker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/rs/zerolog"
)

func testURL() string {
	if u := os.Getenv("AMQP_URL"); u != "" {
		return u
	}
	return "amqp://guest:guest@127.0.0.1:5672/"
}

func randomSuffix(t *testing.T) string {
	t.Helper()
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

// fixture is a private exchange, queue and dead queue for one test; all are
// deleted when the test ends.
type fixture struct {
	cfg      Config
	topo     Topology
	exchange string
	queue    string
	key      string
}

func newFixture(t *testing.T, queueType string) fixture {
	t.Helper()
	s := randomSuffix(t)
	f := fixture{
		exchange: "test.broker.ex." + s,
		queue:    "test.broker.q." + s,
		key:      "test.broker.key." + s,
	}
	f.cfg = Config{
		URL:          testURL(),
		QueueType:    queueType,
		Prefetch:     16,
		DeadQueue:    "test.broker.dead." + s,
		Name:         "broker-test-" + s,
		RequeueDelay: 50 * time.Millisecond,
	}
	f.topo = Topology{
		Exchanges: []Exchange{{Name: f.exchange, Kind: "topic"}},
		Queues:    []Queue{{Name: f.queue, Bindings: []Binding{{Exchange: f.exchange, Key: f.key}}}},
	}
	t.Cleanup(func() {
		_ = withAdmin(func(ch *amqp.Channel) error {
			_, _ = ch.QueueDelete(f.queue, false, false, false)
			_, _ = ch.QueueDelete(f.cfg.DeadQueue, false, false, false)
			return ch.ExchangeDelete(f.exchange, false, false)
		})
	})
	return f
}

func testLogger(t *testing.T) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel).With().Timestamp().Logger()
}

// dial connects a client for the fixture and closes it when the test ends.
func (f fixture) dial(t *testing.T) *Client {
	t.Helper()
	c, err := Dial(t.Context(), f.cfg, f.topo, testLogger(t))
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

// dialWithin is dial, with a context for the test's calls that ends after timeout or with the test.
func (f fixture) dialWithin(t *testing.T, timeout time.Duration) (*Client, context.Context) {
	t.Helper()
	c := f.dial(t)
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	t.Cleanup(cancel)
	return c, ctx
}

// numbered returns n messages to the fixture's exchange, message i with id i and body {"n":i},
// routed by keyOf(i).
func (f fixture) numbered(n int, keyOf func(i int) string) []Routed {
	msgs := make([]Routed, n)
	for i := range msgs {
		msgs[i] = Routed{Exchange: f.exchange, Key: keyOf(i), Message: Message{Body: fmt.Appendf(nil, `{"n":%d}`, i), MessageID: fmt.Sprint(i)}}
	}
	return msgs
}

// drain takes every ready message from queue, in order, acking each.
func drain(t *testing.T, queue string) []amqp.Delivery {
	t.Helper()
	var got []amqp.Delivery
	err := withAdmin(func(ch *amqp.Channel) error {
		for {
			d, ok, err := ch.Get(queue, true)
			if err != nil || !ok {
				return err
			}
			got = append(got, d)
		}
	})
	if err != nil {
		t.Fatalf("drain %s: %v", queue, err)
	}
	return got
}

// withAdmin runs fn on a fresh raw connection, independent of the client
// under test.
func withAdmin(fn func(ch *amqp.Channel) error) error {
	conn, err := amqp.Dial(testURL())
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	return fn(ch)
}

// queueDepth is the number of ready messages in queue, or -1 on error.
func queueDepth(t *testing.T, queue string) int {
	t.Helper()
	n := -1
	err := withAdmin(func(ch *amqp.Channel) error {
		q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
		n = q.Messages
		return err
	})
	if err != nil {
		t.Logf("queue depth %s: %v", queue, err)
		return -1
	}
	return n
}

// getOne takes one message from queue, acking it.
func getOne(t *testing.T, queue string) amqp.Delivery {
	t.Helper()
	var d amqp.Delivery
	var ok bool
	err := withAdmin(func(ch *amqp.Channel) error {
		var err error
		d, ok, err = ch.Get(queue, true)
		return err
	})
	if err != nil || !ok {
		t.Fatalf("get from %s: ok=%v err=%v", queue, ok, err)
	}
	return d
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("test ended while waiting for %s", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// startConsumer runs Consume in the background; the returned channel yields
// its result. The consumer is stopped when the test ends at the latest.
func startConsumer(t *testing.T, c *Client, queue string, workers int, h Handler) (context.CancelFunc, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.Consume(ctx, queue, workers, h) }()
	t.Cleanup(cancel)
	return cancel, done
}

// waitResult waits for a Consume result.
func waitResult(t *testing.T, done <-chan error, timeout time.Duration) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		t.Fatalf("Consume did not return within %s", timeout)
		return nil
	}
}
