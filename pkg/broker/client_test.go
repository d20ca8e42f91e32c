package broker

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestTopologyIdempotent(t *testing.T) {
	f := newFixture(t, QueueTypeClassic)
	first := f.dial(t)
	second := f.dial(t)

	got := make(chan string, 1)
	stop, done := startConsumer(t, first, f.queue, 1, func(_ context.Context, d Delivery) error {
		got <- d.MessageID
		return nil
	})
	if err := second.Publish(t.Context(), f.exchange, f.key, Message{Body: []byte(`{}`), MessageID: "x"}); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	select {
	case id := <-got:
		if id != "x" {
			t.Fatalf("got %q", id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery")
	}
	stop()
	if err := waitResult(t, done, 10*time.Second); err != nil {
		t.Fatal(err)
	}

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
	c := f.dial(t)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()

	var mu sync.Mutex
	received := map[string]bool{}
	stop, done := startConsumer(t, c, f.queue, 4, func(_ context.Context, d Delivery) error {
		mu.Lock()
		received[d.MessageID] = true
		mu.Unlock()
		return nil
	})

	// Publishers run until the client has reconnected, and then publish some
	// more, so publishes are in flight before, during and after the drop.
	const publishers, after = 8, 15
	var sentCount atomic.Int64
	sent := make([][]string, publishers)
	errs := make([][]error, publishers)
	var wg sync.WaitGroup
	for g := range publishers {
		wg.Go(func() {
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			remaining := after
			for i := 0; remaining > 0 && i < 2000; i++ {
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

	waitFor(t, 30*time.Second, "first publishes", func() bool { return sentCount.Load() >= 40 })
	out, err := exec.CommandContext(ctx, "rabbitmqctl", "close_all_connections", "test").CombinedOutput()
	if err != nil {
		t.Fatalf("rabbitmqctl close_all_connections: %v\n%s", err, out)
	}
	waitFor(t, 30*time.Second, "reconnect", func() bool { return c.reconnects.Load() > 0 })
	wg.Wait()

	total := 0
	for g := range publishers {
		for _, err := range errs[g] {
			t.Errorf("Publish failed: %v", err)
		}
		total += len(sent[g])
	}
	waitFor(t, 60*time.Second, "every message consumed", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for g := range publishers {
			for _, id := range sent[g] {
				if !received[id] {
					return false
				}
			}
		}
		return true
	})
	mu.Lock()
	if len(received) != total {
		t.Errorf("received %d distinct ids, sent %d", len(received), total)
	}
	mu.Unlock()
	if !c.Ready() {
		t.Error("Ready() = false after reconnect")
	}
	stop()
	if err := waitResult(t, done, 10*time.Second); err != nil {
		t.Fatalf("Consume returned %v", err)
	}
	t.Logf("published %d messages across the reconnect", total)
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
	c := f.dial(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()

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
