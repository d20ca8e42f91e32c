package broker

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// roundTrip publishes a message through publisher and checks that a consumer
// on consumer receives it, then stops that consumer.
func roundTrip(t *testing.T, f fixture, consumer, publisher *Client, id string) {
	t.Helper()
	got := make(chan string, 1)
	stop, done := startConsumer(t, consumer, f.queue, 1, func(_ context.Context, d Delivery) error {
		got <- d.MessageID
		return nil
	})
	if err := publisher.Publish(t.Context(), f.exchange, f.key, Message{Body: []byte(`{}`), MessageID: id}); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	select {
	case gotID := <-got:
		if gotID != id {
			t.Fatalf("got %q", gotID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery")
	}
	stop()
	if err := waitResult(t, done, 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestTopologyIdempotent(t *testing.T) {
	f := newFixture(t, QueueTypeClassic)
	first := f.dial(t)
	second := f.dial(t)

	roundTrip(t, f, first, second, "x")

	// A different queue type for the same queue is a configuration error.
	bad := f.cfg
	bad.QueueType = QueueTypeQuorum
	c, err := Dial(t.Context(), bad, f.topo, testLogger(t))
	if err == nil {
		_ = c.Close()
		t.Fatal("Dial with a conflicting queue type succeeded")
	}
	if !strings.Contains(err.Error(), "declare queue") {
		t.Fatalf("conflicting queue type: %v", err)
	}
}

func TestDialErrors(t *testing.T) {
	f := newFixture(t, QueueTypeClassic)
	bad := f.cfg
	bad.QueueType = "stream"
	if _, err := Dial(t.Context(), bad, f.topo, testLogger(t)); err == nil || !strings.Contains(err.Error(), "AMQP_QUEUE_TYPE") {
		t.Fatalf("invalid config: err = %v", err)
	}
	down := f.cfg
	down.URL = "amqp://guest:guest@127.0.0.1:1/"
	if _, err := Dial(t.Context(), down, f.topo, testLogger(t)); err == nil {
		t.Fatal("Dial to a closed port succeeded")
	}
}

func TestClose(t *testing.T) {
	f := newFixture(t, QueueTypeClassic)
	c, err := Dial(t.Context(), f.cfg, f.topo, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	_, done := startConsumer(t, c, f.queue, 1, func(context.Context, Delivery) error { return nil })
	if err := c.Publish(t.Context(), f.exchange, f.key, Message{Body: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if c.Ready() {
		t.Fatal("Ready() after Close")
	}
	if err := waitResult(t, done, 10*time.Second); !errors.Is(err, ErrClosed) {
		t.Fatalf("Consume after Close: %v, want ErrClosed", err)
	}
	if err := c.Publish(t.Context(), f.exchange, f.key, Message{Body: []byte(`{}`)}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Publish after Close: %v, want ErrClosed", err)
	}
}

// TestReconnect drops every broker connection while a consumer runs and
// publishers keep publishing: no Publish may fail, and every published
// message must be consumed at least once.
func TestReconnect(t *testing.T) {
	f := newFixture(t, QueueTypeClassic)
	c, ctx := f.dialWithin(t, 90*time.Second)

	load := lossLoad{publishers: 8, after: 15, limit: 2000, threshold: 40, pace: 10 * time.Millisecond}
	ids, received := load.run(t, ctx, f, c, func() {
		out, err := exec.CommandContext(ctx, "rabbitmqctl", "close_all_connections", "test").CombinedOutput()
		if err != nil {
			t.Fatalf("rabbitmqctl close_all_connections: %v\n%s", err, out)
		}
	})
	if len(received) != len(ids) {
		t.Errorf("received %d distinct ids, sent %d", len(received), len(ids))
	}
	if !c.Ready() {
		t.Error("Ready() = false after reconnect")
	}
	t.Logf("published %d messages across the reconnect", len(ids))
}

// lossLoad is a publish load across the loss of a client's connection:
// publishers publish through the client until it has reconnected and then
// after more messages each (at most limit each, one per pace), while a
// consumer records every delivery.
type lossLoad struct {
	publishers, after, limit int
	// threshold is how many publishes are confirmed before the connection is
	// lost, so that publishes are in flight before, during and after the loss.
	threshold int
	pace      time.Duration
}

// run applies the load to c, calls lose once threshold publishes are
// confirmed, and fails the test for any failed publish. Once every confirmed
// publish has been consumed it stops the consumer and returns their ids and
// how often each id was delivered.
func (l lossLoad) run(t *testing.T, ctx context.Context, f fixture, c *Client, lose func()) (ids []string, received map[string]int) {
	t.Helper()
	var mu sync.Mutex
	received = map[string]int{}
	stop, done := startConsumer(t, c, f.queue, 4, func(_ context.Context, d Delivery) error {
		mu.Lock()
		received[d.MessageID]++
		mu.Unlock()
		return nil
	})

	var sentCount atomic.Int64
	sent := make([][]string, l.publishers)
	errs := make([][]error, l.publishers)
	var wg sync.WaitGroup
	for g := range l.publishers {
		wg.Go(func() {
			tick := time.NewTicker(l.pace)
			defer tick.Stop()
			remaining := l.after
			for i := 0; remaining > 0 && i < l.limit; i++ {
				if c.reconnects.Load() > 0 {
					remaining--
				}
				id := fmt.Sprintf("g%d-%d", g, i)
				if err := c.Publish(ctx, f.exchange, f.key, Message{Body: []byte(`{"id":"` + id + `"}`), MessageID: id}); err != nil {
					errs[g] = append(errs[g], fmt.Errorf("%s: %w", id, err))
				} else {
					sent[g] = append(sent[g], id)
					sentCount.Add(1)
				}
				select {
				case <-tick.C:
				case <-ctx.Done():
					return
				}
			}
		})
	}

	waitFor(t, 30*time.Second, "first publishes", func() bool { return sentCount.Load() >= int64(l.threshold) })
	lose()
	waitFor(t, 30*time.Second, "reconnect", func() bool { return c.reconnects.Load() > 0 })
	wg.Wait()

	for g := range l.publishers {
		for _, err := range errs[g] {
			t.Errorf("Publish failed: %v", err)
		}
		ids = append(ids, sent[g]...)
	}
	waitFor(t, 60*time.Second, "every confirmed message consumed", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, id := range ids {
			if received[id] == 0 {
				return false
			}
		}
		return true
	})
	stop()
	if err := waitResult(t, done, 10*time.Second); err != nil {
		t.Fatalf("Consume returned %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	return ids, maps.Clone(received)
}

func TestConnectionName(t *testing.T) {
	f := newFixture(t, QueueTypeClassic)
	f.dial(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	waitFor(t, 20*time.Second, "connection listed by name", func() bool {
		out, err := exec.CommandContext(ctx, "rabbitmqctl", "list_connections", "client_properties").CombinedOutput()
		return err == nil && strings.Contains(string(out), f.cfg.Name)
	})
}

// TestPublishAcrossConnectionClose closes the client's connection while many
// publishes wait for their confirms: each must still end in a confirmed
// publish, on the next connection if need be.
func TestPublishAcrossConnectionClose(t *testing.T) {
	f := newFixture(t, QueueTypeClassic)
	c, ctx := f.dialWithin(t, 60*time.Second)

	const rounds, perRound = 3, 30
	want := map[string]bool{}
	for r := range rounds {
		var wg sync.WaitGroup
		errs := make([]error, perRound)
		for i := range perRound {
			id := fmt.Sprintf("r%d-%d", r, i)
			want[id] = true
			wg.Go(func() {
				errs[i] = c.Publish(ctx, f.exchange, f.key, Message{Body: []byte(`{}`), MessageID: id})
			})
		}
		sess, err := c.session(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_ = sess.conn.Close()
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d publish %d: %v", r, i, err)
			}
		}
	}
	if c.reconnects.Load() < rounds {
		t.Fatalf("reconnects = %d, want at least %d", c.reconnects.Load(), rounds)
	}

	var mu sync.Mutex
	got := map[string]bool{}
	stop, done := startConsumer(t, c, f.queue, 2, func(_ context.Context, d Delivery) error {
		mu.Lock()
		got[d.MessageID] = true
		mu.Unlock()
		return nil
	})
	waitFor(t, 20*time.Second, "all published ids consumed", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == len(want)
	})
	stop()
	if err := waitResult(t, done, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	for id := range got {
		if !want[id] {
			t.Errorf("unexpected id %q", id)
		}
	}
}
