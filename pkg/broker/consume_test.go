package broker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

func TestRoundTrip(t *testing.T) {
	for _, queueType := range []string{QueueTypeClassic, QueueTypeQuorum} {
		t.Run(queueType, func(t *testing.T) {
			f := newFixture(t, queueType)
			c := f.dial(t)

			got := make(chan Delivery, 1)
			stop, done := startConsumer(t, c, f.queue, 2, func(_ context.Context, d Delivery) error {
				got <- d
				return nil
			})
			msg := Message{
				Body:      []byte(`{"request_id":"r-1","amount":"12.5"}`),
				MessageID: "m-1",
				Headers:   amqp.Table{"request_id": "r-1"},
			}
			if err := c.Publish(t.Context(), f.exchange, f.key, msg); err != nil {
				t.Fatalf("Publish: %v", err)
			}
			var d Delivery
			select {
			case d = <-got:
			case <-time.After(10 * time.Second):
				t.Fatal("no delivery within 10s")
			}
			if string(d.Body) != string(msg.Body) || d.MessageID != "m-1" || d.Headers["request_id"] != "r-1" ||
				d.RoutingKey != f.key || d.Exchange != f.exchange || d.ContentType != "application/json" || d.Redelivered {
				t.Fatalf("unexpected delivery: %+v", d)
			}
			stop()
			if err := waitResult(t, done, 10*time.Second); err != nil {
				t.Fatalf("Consume returned %v, want nil", err)
			}
			if n := queueDepth(t, f.queue); n != 0 {
				t.Fatalf("queue depth after ack = %d, want 0", n)
			}
			assertQueueType(t, f.cfg, f.queue, queueType)
		})
	}
}

// assertQueueType checks the declared type and arguments: redeclaring a
// queue with another x-queue-type (or other arguments) fails with
// PRECONDITION_FAILED.
func assertQueueType(t *testing.T, cfg Config, queue, want string) {
	t.Helper()
	other := QueueTypeQuorum
	if want == QueueTypeQuorum {
		other = QueueTypeClassic
	}
	cfg.QueueType = want
	args := queueArgs(cfg, queue)
	err := withAdmin(func(ch *amqp.Channel) error {
		if _, err := ch.QueueDeclare(queue, true, false, false, false, args); err != nil {
			return fmt.Errorf("redeclare as %s with %v: %w", want, args, err)
		}
		cfg.QueueType = other
		_, err := ch.QueueDeclare(queue, true, false, false, false, queueArgs(cfg, queue))
		var ae *amqp.Error
		if !errors.As(err, &ae) || ae.Code != amqp.PreconditionFailed {
			return fmt.Errorf("redeclare as %s: err = %v, want PRECONDITION_FAILED", other, err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("queue %s is not %s: %v", queue, want, err)
	}
}

func TestPoisonGoesToDeadQueue(t *testing.T) {
	f := newFixture(t, QueueTypeClassic)
	c := f.dial(t)

	var calls atomic.Int32
	stop, done := startConsumer(t, c, f.queue, 1, func(context.Context, Delivery) error {
		calls.Add(1)
		return fmt.Errorf("decode request: %w", Poison("bad json"))
	})
	before := time.Now().UTC().Truncate(time.Second)
	msg := Message{Body: []byte(`not json {`), MessageID: "p-1", Headers: amqp.Table{"source": "erp"}}
	if err := c.Publish(t.Context(), f.exchange, f.key, msg); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	waitFor(t, 10*time.Second, "message in dead queue", func() bool { return queueDepth(t, f.cfg.DeadQueue) == 1 })
	stop()
	if err := waitResult(t, done, 10*time.Second); err != nil {
		t.Fatalf("Consume returned %v", err)
	}
	if n := queueDepth(t, f.queue); n != 0 {
		t.Fatalf("original queue depth = %d, want 0 (acked)", n)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("handler called %d times, want 1", n)
	}

	d := getOne(t, f.cfg.DeadQueue)
	if string(d.Body) != string(msg.Body) || d.MessageId != "p-1" {
		t.Fatalf("dead letter body %q id %q, want the original", d.Body, d.MessageId)
	}
	if d.Headers[HeaderDeadCode] != DeadCodePoison || d.Headers[HeaderAttempts] != int64(1) {
		t.Errorf("code %v attempts %v, want poison after 1", d.Headers[HeaderDeadCode], d.Headers[HeaderAttempts])
	}
	wantHeaders := map[string]string{
		HeaderDeadReason:         "bad json",
		HeaderOriginalQueue:      f.queue,
		HeaderOriginalExchange:   f.exchange,
		HeaderOriginalRoutingKey: f.key,
		"source":                 "erp",
	}
	for k, want := range wantHeaders {
		if got := d.Headers[k]; got != want {
			t.Errorf("header %s = %v, want %q", k, got, want)
		}
	}
	at, ok := d.Headers[HeaderDeadAt].(string)
	if !ok {
		t.Fatalf("header %s missing", HeaderDeadAt)
	}
	deadAt, err := time.Parse(time.RFC3339, at)
	if err != nil || deadAt.Before(before) || deadAt.After(time.Now().Add(time.Second)) {
		t.Fatalf("header %s = %q (%v), want a recent RFC3339 time", HeaderDeadAt, at, err)
	}
}

func TestHandlerFailureRequeues(t *testing.T) {
	tests := []struct {
		name string
		fail func() error
	}{
		{name: "error", fail: func() error { return errors.New("database unavailable") }},
		{name: "panic", fail: func() error { panic("handler bug") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, QueueTypeClassic)
			c := f.dial(t)

			var mu sync.Mutex
			var seen []Delivery
			stop, done := startConsumer(t, c, f.queue, 1, func(_ context.Context, d Delivery) error {
				mu.Lock()
				seen = append(seen, d)
				first := len(seen) == 1
				mu.Unlock()
				if first {
					return tt.fail()
				}
				return nil
			})
			if err := c.Publish(t.Context(), f.exchange, f.key, Message{Body: []byte(`{"n":1}`), MessageID: "r-1"}); err != nil {
				t.Fatalf("Publish: %v", err)
			}
			waitFor(t, 10*time.Second, "second delivery", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return len(seen) >= 2
			})
			stop()
			if err := waitResult(t, done, 10*time.Second); err != nil {
				t.Fatalf("Consume returned %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if seen[0].Redelivered || !seen[1].Redelivered || seen[1].MessageID != "r-1" {
				t.Fatalf("deliveries: first redelivered=%v, second redelivered=%v id=%q", seen[0].Redelivered, seen[1].Redelivered, seen[1].MessageID)
			}
			if len(seen) != 2 {
				t.Fatalf("handler called %d times, want 2", len(seen))
			}
			if n := queueDepth(t, f.queue); n != 0 {
				t.Fatalf("queue depth = %d, want 0", n)
			}
			if n := queueDepth(t, f.cfg.DeadQueue); n != 0 {
				t.Fatalf("dead queue depth = %d, want 0", n)
			}
		})
	}
}

func TestGracefulStop(t *testing.T) {
	f := newFixture(t, QueueTypeClassic)
	c := f.dial(t)

	started := make(chan struct{})
	release := make(chan struct{})
	var handlerCtxErr error
	var handled sync.Map
	stop, done := startConsumer(t, c, f.queue, 1, func(ctx context.Context, d Delivery) error {
		handled.Store(d.MessageID, true)
		if d.MessageID == "slow" {
			close(started)
			<-release
			handlerCtxErr = ctx.Err()
		}
		return nil
	})
	for _, id := range []string{"slow", "next"} {
		if err := c.Publish(t.Context(), f.exchange, f.key, Message{Body: []byte(`{}`), MessageID: id}); err != nil {
			t.Fatalf("Publish %s: %v", id, err)
		}
	}
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("slow handler did not start")
	}
	stop()
	select {
	case err := <-done:
		t.Fatalf("Consume returned %v before the in-flight handler finished", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	if err := waitResult(t, done, 10*time.Second); err != nil {
		t.Fatalf("Consume returned %v, want nil", err)
	}
	if handlerCtxErr != nil {
		t.Fatalf("handler context was cancelled: %v", handlerCtxErr)
	}
	if _, ok := handled.Load("next"); ok {
		t.Fatal("a delivery was started after the consumer was stopped")
	}
	// "slow" was acked; "next" went back to the queue untouched.
	waitFor(t, 5*time.Second, "queue depth 1", func() bool { return queueDepth(t, f.queue) == 1 })
	if d := getOne(t, f.queue); d.MessageId != "next" {
		t.Fatalf("left in queue: %q, want next", d.MessageId)
	}
}

func TestConsumeMissingQueue(t *testing.T) {
	f := newFixture(t, QueueTypeClassic)
	c, ctx := f.dialWithin(t, 20*time.Second)
	err := c.Consume(ctx, f.queue+".missing", 1, func(context.Context, Delivery) error { return nil })
	var ae *amqp.Error
	if !errors.As(err, &ae) || ae.Code != amqp.NotFound {
		t.Fatalf("Consume on a missing queue: err = %v, want 404", err)
	}
	if err := c.Consume(ctx, f.queue, 0, func(context.Context, Delivery) error { return nil }); err == nil {
		t.Fatal("Consume with 0 workers succeeded")
	}
}

// TestConsumeBatches fills a queue before consuming it in batches: waiting
// deliveries must come in batches, every message must be settled once, and a
// failed batch must fall back to the single handler, which dead-letters the
// poison message and acks the others.
func TestConsumeBatches(t *testing.T) {
	f := newFixture(t, QueueTypeClassic)
	c := f.dial(t)
	const n = 300
	msgs := make([]Routed, n)
	for i := range msgs {
		msgs[i] = Routed{Exchange: f.exchange, Key: f.key, Message: Message{Body: []byte(`{}`), MessageID: fmt.Sprint(i)}}
	}
	for _, err := range c.PublishBatch(t.Context(), msgs) {
		if err != nil {
			t.Fatal(err)
		}
	}

	var mu sync.Mutex
	byBatch, alone := map[string]int{}, map[string]int{}
	largest := 0
	batches := Batching{Max: 16, Handler: func(_ context.Context, ds []Delivery) error {
		// A batch takes a while, as a database transaction would, so that
		// deliveries gather while both workers are busy.
		time.Sleep(5 * time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		largest = max(largest, len(ds))
		for _, d := range ds {
			if d.MessageID == "13" {
				return errors.New("one bad message in the batch")
			}
		}
		for _, d := range ds {
			byBatch[d.MessageID]++
		}
		return nil
	}}
	single := func(_ context.Context, d Delivery) error {
		if d.MessageID == "13" {
			return Poison("message 13 is bad")
		}
		mu.Lock()
		alone[d.MessageID]++
		mu.Unlock()
		return nil
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.ConsumeBatches(ctx, f.queue, 2, single, batches) }()
	t.Cleanup(cancel)
	waitFor(t, 30*time.Second, "every message handled", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(byBatch)+len(alone) == n-1
	})
	cancel()
	if err := waitResult(t, done, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for id, k := range byBatch {
		if k != 1 || alone[id] != 0 {
			t.Errorf("message %s handled %d times in batches and %d alone", id, k, alone[id])
		}
	}
	// The fixture's prefetch (16) is raised to workers × Max, so that batches
	// fill up instead of sharing 16 deliveries between two workers.
	if largest != 16 {
		t.Errorf("largest batch %d, want full batches of Max 16", largest)
	}
	if alone["13"] != 0 || byBatch["13"] != 0 {
		t.Error("the poison message was acked")
	}
	if d := queueDepth(t, f.queue); d != 0 {
		t.Errorf("queue depth %d after consuming, want 0", d)
	}
	if d := queueDepth(t, f.cfg.DeadQueue); d != 1 {
		t.Errorf("dead queue depth %d, want the poison message", d)
	}
	t.Logf("%d in batches (largest %d), %d alone", len(byBatch), largest, len(alone))
}

func TestPrefetch(t *testing.T) {
	for _, c := range []struct {
		configured, workers int
		b                   Batching
		want                int
	}{
		{64, 8, Batching{}, 64},
		{64, 8, Batching{Max: 1}, 64},
		{64, 8, Batching{Max: 50}, 400},
		{1000, 8, Batching{Max: 50}, 1000},
		{64, 1000, Batching{Max: 1000}, 65535},
	} {
		if got := prefetch(c.configured, c.workers, c.b); got != c.want {
			t.Errorf("prefetch(%d, %d, max %d) = %d, want %d", c.configured, c.workers, c.b.Max, got, c.want)
		}
	}
}

// A message over the size limit never reaches the handler, alone or in a
// batch: it is dead-lettered with the reason, and the others of its batch are
// handled.
func TestOversizedGoesToDeadQueue(t *testing.T) {
	f := newFixture(t, QueueTypeClassic)
	f.cfg.MaxMessageBytes = 1024
	c := f.dial(t)
	var handled atomic.Int32
	var largest atomic.Int64
	handler := func(_ context.Context, d Delivery) error {
		handled.Add(1)
		if n := int64(len(d.Body)); n > largest.Load() {
			largest.Store(n)
		}
		return nil
	}
	batch := Batching{Max: 8, Handler: func(ctx context.Context, ds []Delivery) error {
		for _, d := range ds {
			_ = handler(ctx, d)
		}
		return nil
	}}
	for i, size := range []int{10, 1024, 1025, 10, 64 << 10} {
		body := []byte(strings.Repeat("x", size))
		if err := c.Publish(t.Context(), f.exchange, f.key, Message{Body: body, MessageID: fmt.Sprintf("m-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.ConsumeBatches(ctx, f.queue, 1, handler, batch) }()
	waitFor(t, 10*time.Second, "two dead letters and three handled", func() bool {
		return queueDepth(t, f.cfg.DeadQueue) == 2 && handled.Load() == 3
	})
	cancel()
	if err := waitResult(t, done, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if largest.Load() > 1024 {
		t.Fatalf("a handler saw a body of %d bytes", largest.Load())
	}
	for range 2 {
		d := getOne(t, f.cfg.DeadQueue)
		reason, _ := d.Headers[HeaderDeadReason].(string)
		if len(d.Body) <= 1024 || !strings.HasPrefix(reason, "too_large: ") || !strings.Contains(reason, "larger than the 1024-byte limit") ||
			d.Headers[HeaderDeadCode] != DeadCodeTooLarge {
			t.Fatalf("dead letter of %d bytes, reason %q", len(d.Body), reason)
		}
	}
}
