package copies_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/rs/zerolog"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/services/notifier/internal/copies"
)

const amqpURL = "amqp://guest:guest@127.0.0.1:5672/"

// consumer runs the copies handler on a private exchange and queue of the
// real broker, bound like the copies queue, with batch as the batch handler.
// settled receives the number of copies each handler call settled.
type consumer struct {
	client   *broker.Client
	exchange string
	settled  chan int
}

func startConsumer(t *testing.T, h *copies.Handler, batch broker.BatchHandler) *consumer {
	t.Helper()
	var b [5]byte
	_, _ = rand.Read(b[:])
	suffix := hex.EncodeToString(b[:])
	c := &consumer{exchange: "test.notifier.ex." + suffix, settled: make(chan int, 1000)}
	queue := broker.Queue{Name: "test.notifier.copies." + suffix}
	for _, key := range copies.Bindings(contract.DefaultNames()) {
		queue.Bindings = append(queue.Bindings, broker.Binding{Exchange: c.exchange, Key: key})
	}
	cfg := broker.Config{URL: amqpURL, Prefetch: 64, DeadQueue: "test.notifier.dead." + suffix,
		RequeueDelay: 10 * time.Millisecond}
	topo := broker.Topology{Exchanges: []broker.Exchange{{Name: c.exchange}}, Queues: []broker.Queue{queue}}
	client, err := broker.Dial(t.Context(), cfg, topo, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	c.client = client
	single := func(ctx context.Context, d broker.Delivery) error {
		err := h.Handle(ctx, d)
		if err == nil {
			c.settled <- 1
		}
		return err
	}
	batched := func(ctx context.Context, ds []broker.Delivery) error {
		err := batch(ctx, ds)
		if err == nil {
			c.settled <- len(ds)
		}
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = client.ConsumeBatches(ctx, queue.Name, 1, single, broker.Batching{Max: 50, Handler: batched})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		_ = client.Close()
		conn, err := amqp.Dial(amqpURL)
		if err != nil {
			return
		}
		defer conn.Close()
		if ch, err := conn.Channel(); err == nil {
			_, _ = ch.QueueDelete(queue.Name, false, false, false)
			_, _ = ch.QueueDelete(cfg.DeadQueue, false, false, false)
			_ = ch.ExchangeDelete(c.exchange, false, false)
		}
	})
	return c
}

// publish sends ds in order and waits until the consumer settled them all.
func (c *consumer) publish(t *testing.T, ds []broker.Delivery) {
	t.Helper()
	msgs := make([]broker.Routed, len(ds))
	for i, d := range ds {
		msgs[i] = broker.Routed{Exchange: c.exchange, Key: d.RoutingKey, Message: broker.Message{Body: d.Body}}
	}
	if err := errors.Join(c.client.PublishBatch(t.Context(), msgs)...); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(30 * time.Second)
	for left := len(ds); left > 0; {
		select {
		case n := <-c.settled:
			left -= n
		case <-deadline:
			t.Fatalf("%d of %d copies not settled", left, len(ds))
		}
	}
}

// TestConsumedBatchFallsBack consumes copies through the real broker with a
// batch handler that commits each batch and then fails, as when the process
// dies before its acks: the broker hands each copy of the batch to the single
// handler, which must record nothing twice. Garbage in the batch is dropped.
func TestConsumedBatchFallsBack(t *testing.T) {
	h, gdb := setup(t)
	var mu sync.Mutex
	batches := 0
	failing := func(ctx context.Context, ds []broker.Delivery) error {
		if err := h.HandleBatch(ctx, ds); err != nil {
			return err
		}
		mu.Lock()
		batches++
		mu.Unlock()
		return errors.New("lost after the commit")
	}
	c := startConsumer(t, h, failing)
	const n = 150
	ds := []broker.Delivery{{RoutingKey: "pay.order", Body: []byte("not json")}}
	for i := range n {
		id := fmt.Sprintf("f-%d", i)
		if i%3 == 0 { // a third of the returns come before their request
			ds = append(ds, orderReturn(t, id, "created"), orderRequest(t, id, "https://shop.example/"+id))
		} else {
			ds = append(ds, orderRequest(t, id, "https://shop.example/"+id), orderReturn(t, id, "created"))
		}
		if i%50 == 25 {
			ds = append(ds, broker.Delivery{RoutingKey: "pay.order.return", Body: []byte(`{"request_id":`)})
		}
	}
	c.publish(t, ds)
	mu.Lock()
	if batches == 0 {
		t.Error("no batch was formed; the fallback was not exercised")
	}
	mu.Unlock()
	expectCounts(t, gdb, map[string]int64{
		"SELECT COUNT(*) FROM deliveries":     n,
		"SELECT COUNT(*) FROM requests":       n,
		"SELECT COUNT(*) FROM orphan_returns": 0,
	})
}

// TestConsumedBatches consumes copies through the real broker with the batch
// handler, then consumes them all again, as after a redelivery.
func TestConsumedBatches(t *testing.T) {
	h, gdb := setup(t)
	c := startConsumer(t, h, h.HandleBatch)
	const n = 200
	var ds []broker.Delivery
	for i := range n {
		id := fmt.Sprintf("b-%d", i)
		ds = append(ds, orderRequest(t, id, "https://shop.example/"+id), orderReturn(t, id, "created"))
	}
	ds = append(ds, broker.Delivery{RoutingKey: "pay.order", Body: []byte("garbage")})
	for range 2 {
		c.publish(t, ds)
		expectCounts(t, gdb, map[string]int64{
			"SELECT COUNT(*) FROM deliveries":     n,
			"SELECT COUNT(*) FROM requests":       n,
			"SELECT COUNT(*) FROM orphan_returns": 0,
		})
	}
}
