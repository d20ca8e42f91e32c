package broker

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// retryFixture is a fixture whose consumers give up after attempts failures,
// with short waits between them.
func retryFixture(t *testing.T, queueType string, attempts int) fixture {
	f := newFixture(t, queueType)
	f.cfg.MaxAttempts = attempts
	f.cfg.RequeueDelay = 20 * time.Millisecond
	f.cfg.RetryBackoffMax = 100 * time.Millisecond
	return f
}

// deadLetters records what a client's OnDeadLetter hook is told.
type deadLetters struct {
	mu   sync.Mutex
	seen []DeadLetter
}

func (r *deadLetters) hook(dl DeadLetter) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, dl)
}

func (r *deadLetters) all() []DeadLetter {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]DeadLetter(nil), r.seen...)
}

// attemptLog records the deliveries a handler saw, by message id.
type attemptLog struct {
	mu   sync.Mutex
	seen map[string][]Delivery
}

func (l *attemptLog) add(d Delivery) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = map[string][]Delivery{}
	}
	l.seen[d.MessageID] = append(l.seen[d.MessageID], d)
	return len(l.seen[d.MessageID])
}

func (l *attemptLog) of(id string) []Delivery {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Delivery(nil), l.seen[id]...)
}

// A handler that always fails is tried MaxAttempts times, each time with the
// message as it was first published, then dead-lettered with the reason, the
// code and the count; the hook hears of it, and the consumer goes on with
// the next message.
func TestRetriesExhausted(t *testing.T) {
	tests := []struct {
		queueType string
		fail      func() error
		wantError string
	}{
		{QueueTypeClassic, func() error { return errors.New("database unavailable") }, "database unavailable"},
		{QueueTypeQuorum, func() error { panic("handler bug") }, "handler panic: handler bug"},
	}
	for _, tt := range tests {
		t.Run(tt.queueType, func(t *testing.T) {
			const attempts = 3
			f := retryFixture(t, tt.queueType, attempts)
			c := f.dial(t)
			var dead deadLetters
			c.OnDeadLetter(dead.hook)
			var log attemptLog
			startConsumer(t, c, f.queue, 2, func(_ context.Context, d Delivery) error {
				log.add(d)
				if d.MessageID == "bad" {
					return tt.fail()
				}
				return nil
			})
			bad := Message{Body: []byte(`{"n":1}`), MessageID: "bad", Headers: amqp.Table{"source": "erp"}}
			if err := c.Publish(t.Context(), f.exchange, f.key, bad); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 20*time.Second, "the dead letter", func() bool { return queueDepth(t, f.cfg.DeadQueue) == 1 })
			if err := c.Publish(t.Context(), f.exchange, f.key, Message{Body: []byte(`{}`), MessageID: "good"}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 10*time.Second, "the next message handled", func() bool { return len(log.of("good")) == 1 })

			seen := log.of("bad")
			if len(seen) != attempts {
				t.Fatalf("handler called %d times on the failing message, want %d", len(seen), attempts)
			}
			for i, d := range seen {
				if d.Attempts != i || d.Redelivered != (i > 0) || d.Exchange != f.exchange || d.RoutingKey != f.key ||
					string(d.Body) != `{"n":1}` || d.Headers["source"] != "erp" {
					t.Errorf("attempt %d saw %+v, want the original message with %d earlier failures", i+1, d, i)
				}
			}
			d := getOne(t, f.cfg.DeadQueue)
			reason, _ := d.Headers[HeaderDeadReason].(string)
			if !strings.HasPrefix(reason, fmt.Sprintf("failed %d times; last error: ", attempts)) || !strings.Contains(reason, tt.wantError) {
				t.Errorf("reason %q, want the count and the last error %q", reason, tt.wantError)
			}
			want := map[string]any{
				HeaderDeadCode:           DeadCodeRetriesExhausted,
				HeaderAttempts:           int64(attempts),
				HeaderOriginalQueue:      f.queue,
				HeaderOriginalExchange:   f.exchange,
				HeaderOriginalRoutingKey: f.key,
				"source":                 "erp",
			}
			for k, v := range want {
				if d.Headers[k] != v {
					t.Errorf("dead letter header %s = %#v, want %#v", k, d.Headers[k], v)
				}
			}
			if string(d.Body) != `{"n":1}` || d.MessageId != "bad" {
				t.Errorf("dead letter %q id %q, want the original", d.Body, d.MessageId)
			}
			wantHook := []DeadLetter{{Queue: f.queue, Code: DeadCodeRetriesExhausted, Reason: reason, Attempts: attempts, MessageID: "bad"}}
			if got := dead.all(); len(got) != 1 || got[0] != wantHook[0] {
				t.Errorf("hook told %+v, want %+v", got, wantHook)
			}
			if n := queueDepth(t, f.queue); n != 0 {
				t.Errorf("queue depth %d, want 0", n)
			}
		})
	}
}

// The count is in the message, not in the consumer: a consumer that stops
// half-way hands the message on with its count, and another client (another
// replica, or the service restarted) goes on from there.
func TestRetryCountSurvivesRestart(t *testing.T) {
	const attempts = 4
	f := retryFixture(t, QueueTypeQuorum, attempts)
	first := f.dial(t)
	var firstLog attemptLog
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- first.Consume(ctx, f.queue, 1, func(_ context.Context, d Delivery) error {
			if firstLog.add(d) == 2 {
				stop()
			}
			return errors.New("database unavailable")
		})
	}()
	t.Cleanup(stop)
	if err := first.Publish(t.Context(), f.exchange, f.key, Message{Body: []byte(`{}`), MessageID: "m-1"}); err != nil {
		t.Fatal(err)
	}
	// The second failure is republished at once, as the consumer is stopping.
	if err := waitResult(t, done, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second := f.dial(t)
	var secondLog attemptLog
	startConsumer(t, second, f.queue, 1, func(_ context.Context, d Delivery) error {
		secondLog.add(d)
		return errors.New("database still unavailable")
	})
	waitFor(t, 20*time.Second, "the dead letter", func() bool { return queueDepth(t, f.cfg.DeadQueue) == 1 })
	seen := secondLog.of("m-1")
	if len(seen) != attempts-2 || seen[0].Attempts != 2 {
		t.Fatalf("second client handled %d deliveries, the first after %d failures; want %d after 2", len(seen), seen[0].Attempts, attempts-2)
	}
	d := getOne(t, f.cfg.DeadQueue)
	if d.Headers[HeaderAttempts] != int64(attempts) || d.Headers[HeaderDeadCode] != DeadCodeRetriesExhausted {
		t.Fatalf("dead letter headers %v, want %d attempts, retries_exhausted", d.Headers, attempts)
	}
}

// Bodies over the limit are dead-lettered unread, and do not stay in the
// consumer's memory: fifty of 1 MiB leave its heap about where it was.
func TestLargeBodiesDeadLettered(t *testing.T) {
	const n, size = 50, 1 << 20
	f := newFixture(t, QueueTypeClassic)
	c := f.dial(t)
	var dead deadLetters
	c.OnDeadLetter(dead.hook)
	handled := make(chan struct{}, 1)
	startConsumer(t, c, f.queue, 4, func(context.Context, Delivery) error {
		handled <- struct{}{}
		return nil
	})
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	for i := range n {
		body := []byte(strings.Repeat("x", size))
		if err := c.Publish(t.Context(), "", f.queue, Message{Body: body, MessageID: fmt.Sprint("big-", i)}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 60*time.Second, "every large body dead-lettered", func() bool { return queueDepth(t, f.cfg.DeadQueue) == n })
	after := heap()
	if grew := int64(after) - int64(before); grew > 8<<20 {
		t.Errorf("heap grew by %d bytes after %d bodies of %d bytes, want under 8 MiB", grew, n, size)
	}
	select {
	case <-handled:
		t.Fatal("a handler was given a body over the limit")
	default:
	}
	d := getOne(t, f.cfg.DeadQueue)
	reason, _ := d.Headers[HeaderDeadReason].(string)
	if len(d.Body) != size || d.Headers[HeaderDeadCode] != DeadCodeTooLarge || !strings.HasPrefix(reason, DeadCodeTooLarge) {
		t.Fatalf("dead letter of %d bytes, code %v, reason %q; want the body, too_large", len(d.Body), d.Headers[HeaderDeadCode], reason)
	}
	if got := dead.all(); len(got) != n || got[0].Code != DeadCodeTooLarge || got[0].Attempts != 0 {
		t.Fatalf("hook told %d dead letters (first %+v), want %d too_large", len(got), got, n)
	}
}

// A queue an older release declared without the dead-letter arguments does
// not stop a client from starting and consuming it; a queue of the other
// type still does.
func TestQueueDeclaredWithoutDeadLetterRoute(t *testing.T) {
	tests := []struct {
		existing, configured string
		ok                   bool
	}{
		{QueueTypeClassic, QueueTypeClassic, true},
		{QueueTypeQuorum, QueueTypeQuorum, true},
		{QueueTypeClassic, QueueTypeQuorum, false},
	}
	for _, tt := range tests {
		t.Run(tt.existing+" as "+tt.configured, func(t *testing.T) {
			f := newFixture(t, tt.configured)
			err := withAdmin(func(ch *amqp.Channel) error {
				_, err := ch.QueueDeclare(f.queue, true, false, false, false, amqp.Table{"x-queue-type": tt.existing})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			c, err := Dial(t.Context(), f.cfg, f.topo, testLogger(t))
			if !tt.ok {
				if err == nil {
					_ = c.Close()
					t.Fatal("Dial succeeded on a queue of the other type")
				}
				return
			}
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			t.Cleanup(func() { _ = c.Close() })
			got := make(chan Delivery, 1)
			startConsumer(t, c, f.queue, 1, func(_ context.Context, d Delivery) error {
				got <- d
				return nil
			})
			if err := c.Publish(t.Context(), f.exchange, f.key, Message{Body: []byte(`{}`), MessageID: "m-1"}); err != nil {
				t.Fatal(err)
			}
			select {
			case d := <-got:
				if d.MessageID != "m-1" {
					t.Fatalf("got %q", d.MessageID)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no delivery within 10s")
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	c := &Client{cfg: Config{RequeueDelay: time.Second, RetryBackoffMax: 30 * time.Second}}
	for _, tt := range []struct {
		failures int
		want     time.Duration
	}{
		{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {5, 16 * time.Second},
		{6, 30 * time.Second}, {9, 30 * time.Second}, {1000, 30 * time.Second},
	} {
		got := c.backoff(tt.failures)
		if got < tt.want*8/10 || got > tt.want*12/10 {
			t.Errorf("backoff(%d) = %s, want %s ± 20%%", tt.failures, got, tt.want)
		}
	}
}

func TestAttemptsOf(t *testing.T) {
	for _, tt := range []struct {
		name   string
		value  any
		want   int
		wantOK bool
	}{
		{"absent", nil, 0, false},
		{"int64", int64(3), 3, true},
		{"int32", int32(4), 4, true},
		{"uint8", uint8(5), 5, true},
		{"negative", int64(-7), 0, true},
		{"huge", int64(1) << 40, 1<<31 - 1, true},
		{"string", "3", 0, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := amqp.Table{}
			if tt.value != nil {
				h[HeaderAttempts] = tt.value
			}
			if n, ok := attemptsOf(h); n != tt.want || ok != tt.wantOK {
				t.Fatalf("attemptsOf(%v) = %d, %v; want %d, %v", tt.value, n, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestExhaustedReason(t *testing.T) {
	long := errors.New(strings.Repeat("é", maxReasonBytes))
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"short", errors.New("db down"), "failed 3 times; last error: db down"},
		{"long", long, "failed 3 times; last error: " + strings.Repeat("é", maxReasonBytes/2) + "…"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := exhaustedReason(3, tt.err); got != tt.want {
				t.Fatalf("exhaustedReason = %q, want %q", got, tt.want)
			}
		})
	}
}

// A broker user that may declare a queue but not read it (a service's own
// user and another flow's queue) is refused a dead-letter route by RabbitMQ:
// the queue is declared without one, and the client starts.
func TestQueueDeclaredByUserWhoMayNotReadIt(t *testing.T) {
	f := newFixture(t, QueueTypeClassic)
	name := "broker-test-noread-" + randomSuffix(t)
	ctl := func(args ...string) {
		if out, err := exec.Command("rabbitmqctl", args...).CombinedOutput(); err != nil {
			t.Fatalf("rabbitmqctl %v: %v\n%s", args, err, out)
		}
	}
	ctl("add_vhost", name)
	t.Cleanup(func() { ctl("delete_vhost", name) })
	ctl("add_user", name, name)
	t.Cleanup(func() { ctl("delete_user", name) })
	ctl("set_permissions", "-p", name, name, ".*", ".*", `^test\.broker\.ex\.`)
	f.cfg.URL = fmt.Sprintf("amqp://%s:%s@127.0.0.1:5672/%s", name, name, name)
	c := f.dial(t)
	if err := c.Publish(t.Context(), f.exchange, f.key, Message{Body: []byte(`{}`), MessageID: "m-1"}); err != nil {
		t.Fatalf("publish to the queue declared without a route: %v", err)
	}
}
