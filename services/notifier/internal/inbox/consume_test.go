package inbox_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/rs/zerolog"

	"paysuite/pkg/broker"
	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
)

const amqpURL = "amqp://guest:guest@127.0.0.1:5672/"

// consumer consumes a private queue of the real broker, bound like the
// notifier's Webhook queue on a private exchange, through the guard of the
// internal queues.
type consumer struct {
	client          *broker.Client
	keys            events.Keys
	exchange, queue string
	deadQueue       string
}

// startConsumer runs h behind the guard, with batch as its batch handler.
func startConsumer(t *testing.T, single broker.Handler, batch broker.BatchHandler) *consumer {
	t.Helper()
	var b [5]byte
	_, _ = rand.Read(b[:])
	suffix := hex.EncodeToString(b[:])
	keys, err := events.NewKeys([]byte("inbox-test-internal-secret"))
	if err != nil {
		t.Fatal(err)
	}
	c := &consumer{keys: keys, exchange: "test.notifier.ex." + suffix, queue: "test.notifier.webhooks." + suffix,
		deadQueue: "test.notifier.dead." + suffix}
	cfg := broker.Config{URL: amqpURL, Prefetch: 64, DeadQueue: c.deadQueue, RequeueDelay: 10 * time.Millisecond}
	topo := broker.Topology{Exchanges: []broker.Exchange{{Name: c.exchange}}, Queues: []broker.Queue{{Name: c.queue,
		Bindings: []broker.Binding{{Exchange: c.exchange, Key: events.WebhookKey}}}}}
	if c.client, err = broker.Dial(t.Context(), cfg, topo, zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	guard := events.Guard{Keys: keys, MQ: c.client, Service: "notifier", Log: zerolog.Nop()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = guard.Consume(ctx, c.queue, 1, single, broker.Batching{Max: 50, Handler: batch})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		_ = c.client.Close()
		conn, err := amqp.Dial(amqpURL)
		if err != nil {
			return
		}
		defer conn.Close()
		if ch, err := conn.Channel(); err == nil {
			_, _ = ch.QueueDelete(c.queue, false, false, false)
			_, _ = ch.QueueDelete(c.deadQueue, false, false, false)
			_ = ch.ExchangeDelete(c.exchange, false, false)
		}
	})
	return c
}

// publish seals ws as the services do and publishes them in order.
func (c *consumer) publish(t *testing.T, ws []events.Webhook) {
	t.Helper()
	msgs := make([]broker.Routed, len(ws))
	for i, w := range ws {
		body, err := c.keys.Seal(events.WebhookKey, w)
		if err != nil {
			t.Fatal(err)
		}
		msgs[i] = broker.Routed{Exchange: c.exchange, Key: events.WebhookKey, Message: broker.Message{Body: body,
			MessageID: "webhook:" + w.MessageID}}
	}
	if err := errors.Join(c.client.PublishBatch(t.Context(), msgs)...); err != nil {
		t.Fatal(err)
	}
}

// dead takes the reasons of the dead-lettered messages, by message id.
func (c *consumer) dead(t *testing.T) map[string]string {
	t.Helper()
	conn, err := amqp.Dial(amqpURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for {
		d, ok, err := ch.Get(c.deadQueue, true)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return out
		}
		out[d.MessageId], _ = d.Headers[broker.HeaderDeadReason].(string)
	}
}

// TestConsumedBatchFallsBack consumes Webhook messages through the real
// broker and the guard with a batch handler that commits each batch and then
// fails, as when the process dies before its acks: the broker hands each
// message of the batch to the single handler, which records nothing twice.
// The rejected returns among them are dead-lettered alone, with the reason.
func TestConsumedBatchFallsBack(t *testing.T) {
	h, gdb := setup(t)
	var batches atomic.Int64
	failing := func(ctx context.Context, ds []broker.Delivery) error {
		if err := h.HandleBatch(ctx, ds); err != nil {
			return err
		}
		batches.Add(1)
		return errors.New("lost after the commit")
	}
	c := startConsumer(t, h.Handle, failing)
	const n = 150
	var ws []events.Webhook
	for i := range n {
		ws = append(ws, hookOf(t, fmt.Sprintf("f-%d", i), "created", 1, "https://shop.example/"+fmt.Sprint(i%5)))
		if i%50 == 25 {
			ws = append(ws, hookOf(t, fmt.Sprintf("r-%d", i), "rejected", 0, "https://shop.example/r"))
		}
	}
	c.publish(t, ws)
	servicetest.Eventually(t, "every delivery recorded", func() bool { return count(t, gdb, "SELECT COUNT(*) FROM deliveries") == n })
	var dead map[string]string
	servicetest.Eventually(t, "the rejected returns dead-lettered", func() bool {
		for id, reason := range c.dead(t) {
			if dead == nil {
				dead = map[string]string{}
			}
			dead[id] = reason
		}
		return len(dead) == 3
	})
	for id, reason := range dead {
		if !strings.HasPrefix(id, "webhook:r-") || !strings.Contains(reason, "a rejected return is never a webhook") {
			t.Errorf("%s dead-lettered: %q", id, reason)
		}
	}
	if batches.Load() == 0 {
		t.Error("no batch was formed; the fallback was not exercised")
	}
	expectCounts(t, gdb, map[string]int64{"SELECT COUNT(*) FROM deliveries WHERE request_id LIKE 'r-%'": 0})
}

// TestConsumedBatches consumes Webhook messages through the real broker with
// the batch handler, then consumes them all again, as after a redelivery.
func TestConsumedBatches(t *testing.T) {
	h, gdb := setup(t)
	var woken atomic.Int64
	h.OnDeliveries = func() { woken.Add(1) }
	// The wake-ups of the second round are counted from its first handler
	// call: the one worker has then returned from every call of the first
	// round, whose last wake-up may come after its deliveries are visible.
	var second atomic.Bool
	before := atomic.Int64{}
	before.Store(-1)
	mark := func() {
		if second.Load() {
			before.CompareAndSwap(-1, woken.Load())
		}
	}
	c := startConsumer(t,
		func(ctx context.Context, d broker.Delivery) error { mark(); return h.Handle(ctx, d) },
		func(ctx context.Context, ds []broker.Delivery) error { mark(); return h.HandleBatch(ctx, ds) })
	const n = 200
	var ws []events.Webhook
	for i := range n {
		ws = append(ws, hookOf(t, fmt.Sprintf("b-%d", i), "created", 1, "https://shop.example/b"))
	}
	c.publish(t, ws)
	servicetest.Eventually(t, "every delivery recorded", func() bool { return count(t, gdb, "SELECT COUNT(*) FROM deliveries") == n })
	second.Store(true)
	c.publish(t, append(ws, ws[0]))
	// The queue is consumed in order by one worker: once the last message is
	// handled, every repeat was.
	c.publish(t, []events.Webhook{hookOf(t, "last", "created", 1, "https://shop.example/b")})
	servicetest.Eventually(t, "the last delivery recorded", func() bool { return count(t, gdb, "SELECT COUNT(*) FROM deliveries") == n+1 })
	if got := woken.Load() - before.Load(); got != 1 {
		t.Errorf("the deliverer was woken %d times for one new delivery", got)
	}
	if dead := c.dead(t); len(dead) != 0 {
		t.Errorf("dead-lettered: %v", dead)
	}
}
