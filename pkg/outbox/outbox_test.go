package outbox

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
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/db/dbtest"
)

// fixture is a schema with an outbox table, and a private exchange and queue
// on the real broker.
type fixture struct {
	db       *gorm.DB
	mq       *broker.Client
	exchange string
	queue    string
	key      string
}

func amqpURL() string {
	if u := os.Getenv("AMQP_URL"); u != "" {
		return u
	}
	return "amqp://guest:guest@127.0.0.1:5672/"
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	var b [5]byte
	_, _ = rand.Read(b[:])
	s := hex.EncodeToString(b[:])
	f := fixture{
		db:       dbtest.Open(t, Migrations()),
		exchange: "test.outbox.ex." + s,
		queue:    "test.outbox.q." + s,
		key:      "test.outbox.key." + s,
	}
	cfg := broker.Config{URL: amqpURL(), DeadQueue: "test.outbox.dead." + s, Name: "outbox-test-" + s}
	topo := broker.Topology{
		Exchanges: []broker.Exchange{{Name: f.exchange}},
		Queues:    []broker.Queue{{Name: f.queue, Bindings: []broker.Binding{{Exchange: f.exchange, Key: f.key}}}},
	}
	mq, err := broker.Dial(t.Context(), cfg, topo, zerolog.Nop())
	if err != nil {
		t.Fatalf("dial broker: %v", err)
	}
	f.mq = mq
	t.Cleanup(func() {
		_ = mq.Close()
		withChannel(t, func(ch *amqp.Channel) error {
			_, _ = ch.QueueDelete(f.queue, false, false, false)
			_, _ = ch.QueueDelete(cfg.DeadQueue, false, false, false)
			return ch.ExchangeDelete(f.exchange, false, false)
		})
	})
	return f
}

func withChannel(t *testing.T, fn func(ch *amqp.Channel) error) {
	t.Helper()
	conn, err := amqp.Dial(amqpURL())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := fn(ch); err != nil {
		t.Fatal(err)
	}
}

// add stores n messages numbered from first, in one transaction.
func (f fixture) add(t *testing.T, first, n int, key string) {
	t.Helper()
	msgs := make([]Message, n)
	for i := range msgs {
		id := fmt.Sprint(first + i)
		msgs[i] = Message{Exchange: f.exchange, RoutingKey: key, MessageID: id, Body: []byte(`{"n":` + id + `}`)}
	}
	err := f.db.Transaction(func(tx *gorm.DB) error { return Add(tx, msgs...) })
	if err != nil {
		t.Fatal(err)
	}
}

// received takes every message from the queue, in queue order.
func (f fixture) received(t *testing.T) []string {
	t.Helper()
	var ids []string
	withChannel(t, func(ch *amqp.Channel) error {
		for {
			d, ok, err := ch.Get(f.queue, true)
			if err != nil || !ok {
				return err
			}
			ids = append(ids, d.MessageId)
		}
	})
	return ids
}

func (f fixture) backlog(t *testing.T) int64 {
	t.Helper()
	n, err := Backlog(t.Context(), f.db)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDrainPublishesInOrder drains 1,234 messages in batches of 100, up to
// inFlight of them waiting for their confirms at once: the order holds and the
// batches' deletes do not deadlock.
func TestDrainPublishesInOrder(t *testing.T) {
	f := newFixture(t)
	f.add(t, 0, 1234, f.key)
	relay := NewRelay(f.db, f.mq, zerolog.Nop(), 100, time.Second)
	if err := relay.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := f.backlog(t); n != 0 {
		t.Fatalf("backlog after drain = %d, want 0", n)
	}
	ids := f.received(t)
	if len(ids) != 1234 {
		t.Fatalf("received %d messages, want 1234", len(ids))
	}
	for i, id := range ids {
		if id != fmt.Sprint(i) {
			t.Fatalf("message %d arrived as %s: id order not kept", i, id)
		}
	}
}

// TestUnroutableMessageStays checks that a message the broker cannot route
// stays in the outbox, with an error, while the others of its batch go out.
func TestUnroutableMessageStays(t *testing.T) {
	f := newFixture(t)
	f.add(t, 0, 5, f.key)
	f.add(t, 5, 1, "nobody.listens.here")
	f.add(t, 6, 5, f.key)
	relay := NewRelay(f.db, f.mq, zerolog.Nop(), 500, time.Second)
	if err := relay.Drain(t.Context()); err == nil {
		t.Fatal("Drain reported no error for an unroutable message")
	}
	if n := f.backlog(t); n != 1 {
		t.Fatalf("backlog = %d, want the unroutable message only", n)
	}
	if ids := f.received(t); len(ids) != 10 {
		t.Fatalf("received %v, want the 10 routable messages", ids)
	}
}

// heldPublisher publishes through the real broker, but only once released,
// so a test can act while a relay holds its claim.
type heldPublisher struct {
	*broker.Client
	entered chan struct{}
	release chan struct{}
}

func (h heldPublisher) SendBatch(ctx context.Context, msgs []broker.Routed) func() []error {
	close(h.entered)
	<-h.release
	return h.Client.SendBatch(ctx, msgs)
}

// TestClaimDoesNotBlockWriters checks that while a relay publishes a batch,
// handlers can still add messages and a second relay skips the claimed rows
// instead of waiting for them: a writer that had to wait would hit the
// one-second lock timeout set here.
func TestClaimDoesNotBlockWriters(t *testing.T) {
	f := newFixture(t)
	f.add(t, 0, 10, f.key)
	held := heldPublisher{Client: f.mq, entered: make(chan struct{}), release: make(chan struct{})}
	first := NewRelay(f.db, held, zerolog.Nop(), 500, time.Second)
	done := make(chan error, 1)
	go func() { done <- first.Drain(t.Context()) }()
	<-held.entered

	err := f.db.Connection(func(conn *gorm.DB) error {
		if err := conn.Exec("SET SESSION innodb_lock_wait_timeout = 1").Error; err != nil {
			return err
		}
		return conn.Transaction(func(tx *gorm.DB) error {
			return Add(tx, Message{Exchange: f.exchange, RoutingKey: f.key, MessageID: "10", Body: []byte(`{"n":10}`)})
		})
	})
	if err != nil {
		t.Fatalf("adding a message while a batch is claimed: %v", err)
	}

	// The second relay takes only the new message.
	second := NewRelay(f.db, f.mq, zerolog.Nop(), 500, time.Second)
	if err := second.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	if ids := f.received(t); len(ids) != 1 || ids[0] != "10" {
		t.Fatalf("second relay published %v, want only the new message 10", ids)
	}
	close(held.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := f.backlog(t); n != 0 {
		t.Fatalf("backlog = %d, want 0", n)
	}
	if ids := f.received(t); len(ids) != 10 {
		t.Fatalf("first relay published %d messages, want 10", len(ids))
	}
}

// TestReplicasDrainTogether runs three relays on one outbox, as three replicas
// of a service would: every message is published once and none is left.
func TestReplicasDrainTogether(t *testing.T) {
	f := newFixture(t)
	f.add(t, 0, 3000, f.key)
	errs := make(chan error, 3)
	for range 3 {
		go func() { errs <- NewRelay(f.db, f.mq, zerolog.Nop(), 50, time.Second).Drain(t.Context()) }()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := f.backlog(t); n != 0 {
		t.Fatalf("backlog after drain = %d, want 0", n)
	}
	ids := f.received(t)
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("message %s published twice", id)
		}
		seen[id] = true
	}
	if len(seen) != 3000 {
		t.Fatalf("received %d distinct messages, want 3000", len(seen))
	}
}
