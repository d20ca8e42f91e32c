package broker

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

func TestPublishConfirmedAndPersistent(t *testing.T) {
	f := newFixture(t, QueueTypeClassic)
	c := f.dial(t)
	if !c.Ready() {
		t.Fatal("Ready() = false right after Dial")
	}
	err := c.Publish(t.Context(), f.exchange, f.key, Message{Body: []byte(`{"request_id":"r-1"}`), MessageID: "m-1"})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	// Confirmed means the broker holds it: it must be in the queue now.
	if n := queueDepth(t, f.queue); n != 1 {
		t.Fatalf("queue depth after confirmed publish = %d, want 1", n)
	}
	d := getOne(t, f.queue)
	if d.DeliveryMode != amqp.Persistent {
		t.Errorf("DeliveryMode = %d, want persistent", d.DeliveryMode)
	}
	if d.ContentType != "application/json" {
		t.Errorf("ContentType = %q, want application/json", d.ContentType)
	}
	if d.MessageId != "m-1" || string(d.Body) != `{"request_id":"r-1"}` {
		t.Errorf("got id %q body %q", d.MessageId, d.Body)
	}
}

func TestPublishUnroutable(t *testing.T) {
	f := newFixture(t, QueueTypeClassic)
	c, ctx := f.dialWithin(t, 30*time.Second)

	err := c.Publish(ctx, f.exchange, "nobody.listens.here", Message{Body: []byte(`{}`)})
	if !errors.Is(err, ErrUnroutable) {
		t.Fatalf("unroutable publish: err = %v, want ErrUnroutable", err)
	}

	// A missing exchange closes the channel with 404; Publish must give up
	// with that error rather than retry until ctx ends.
	err = c.Publish(ctx, f.exchange+".missing", f.key, Message{Body: []byte(`{}`)})
	var ae *amqp.Error
	if !errors.As(err, &ae) || ae.Code != amqp.NotFound {
		t.Fatalf("publish to missing exchange: err = %v, want a 404 amqp error", err)
	}
	if ctx.Err() != nil {
		t.Fatal("publish to missing exchange ran until the deadline")
	}

	// The client recovers its publishing channel afterwards.
	if err := c.Publish(ctx, f.exchange, f.key, Message{Body: []byte(`{}`)}); err != nil {
		t.Fatalf("publish after channel exception: %v", err)
	}
	if n := queueDepth(t, f.queue); n != 1 {
		t.Fatalf("queue depth = %d, want 1", n)
	}
}

// TestPublishConcurrentMixed checks that concurrent publishers sharing a
// channel each get their own outcome: returns are matched to the right
// publish even when routable and unroutable messages are interleaved,
// including identical bodies and message ids.
func TestPublishConcurrentMixed(t *testing.T) {
	f := newFixture(t, QueueTypeClassic)
	c, ctx := f.dialWithin(t, 60*time.Second)

	const n = 100
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			key := f.key
			if i%2 == 1 {
				key = "unbound." + f.key
			}
			// Pairs share body and id, differing only in routing key.
			msg := Message{Body: fmt.Appendf(nil, `{"n":%d}`, i/2), MessageID: fmt.Sprintf("id-%d", i/2)}
			errs[i] = c.Publish(ctx, f.exchange, key, msg)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if i%2 == 0 && err != nil {
			t.Errorf("routable publish %d: %v", i, err)
		}
		if i%2 == 1 && !errors.Is(err, ErrUnroutable) {
			t.Errorf("unroutable publish %d: err = %v, want ErrUnroutable", i, err)
		}
	}
	if got := queueDepth(t, f.queue); got != n/2 {
		t.Fatalf("queue depth = %d, want %d", got, n/2)
	}
}

func TestPublishHeadersRejected(t *testing.T) {
	f := newFixture(t, QueueTypeClassic)
	c := f.dial(t)
	err := c.Publish(t.Context(), f.exchange, f.key, Message{Body: []byte(`{}`), Headers: amqp.Table{"bad": struct{}{}}})
	if err == nil {
		t.Fatal("publish with an unencodable header succeeded")
	}
}

// TestPublishBatch checks that a batch keeps its order, that each message gets
// its own outcome, and that an unroutable message does not hold back the rest.
func TestPublishBatch(t *testing.T) {
	f := newFixture(t, QueueTypeClassic)
	c, ctx := f.dialWithin(t, 60*time.Second)

	const n = 600
	msgs := f.numbered(n, func(i int) string {
		if i == 100 {
			return "nobody.listens.here"
		}
		return f.key
	})
	errs := c.PublishBatch(ctx, msgs)
	if len(errs) != n {
		t.Fatalf("got %d outcomes for %d messages", len(errs), n)
	}
	for i, err := range errs {
		switch {
		case i == 100 && !errors.Is(err, ErrUnroutable):
			t.Errorf("message %d: err = %v, want ErrUnroutable", i, err)
		case i != 100 && err != nil:
			t.Errorf("message %d: %v", i, err)
		}
	}
	if got := queueDepth(t, f.queue); got != n-1 {
		t.Fatalf("queue depth = %d, want %d", got, n-1)
	}
	got := drain(t, f.queue)
	for i, want := 0, 0; want < n; want++ {
		if want == 100 {
			continue
		}
		if i >= len(got) {
			t.Fatalf("message %d missing from the queue", want)
		}
		if got[i].MessageId != fmt.Sprint(want) {
			t.Fatalf("message %d arrived as %q: order not kept", want, got[i].MessageId)
		}
		i++
	}
}

// TestPublishBatchAcrossBrokerCut cuts the connection while a large batch is
// in flight: every message must still be confirmed in the end (some perhaps
// twice, never none).
func TestPublishBatchAcrossBrokerCut(t *testing.T) {
	f := newFixture(t, QueueTypeClassic)
	c, ctx := f.dialWithin(t, 60*time.Second)

	const n = 3000
	msgs := f.numbered(n, func(int) string { return f.key })
	sess, err := c.session(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		time.Sleep(20 * time.Millisecond)
		_ = sess.conn.Close()
	})
	began := time.Now()
	errs := c.PublishBatch(ctx, msgs)
	t.Logf("%d messages published in %s across the cut", n, time.Since(began))
	wg.Wait()
	if c.reconnects.Load() == 0 {
		t.Fatal("the connection was not cut during the batch")
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	seen := make(map[string]bool)
	for _, d := range drain(t, f.queue) {
		seen[d.MessageId] = true
	}
	if len(seen) != n {
		t.Fatalf("%d distinct messages in the queue, want %d", len(seen), n)
	}
}
