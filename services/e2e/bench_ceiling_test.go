package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/rs/zerolog"

	"paysuite/pkg/broker"
)

// brokerCeiling publishes n persistent messages with publisher confirms from
// publishers goroutines through one pkg/broker client, while another client
// consumes them with manual acks (the services' settings: prefetch 64, eight
// workers), and returns the time from the first publish to the last ack and
// the CPU used meanwhile. It runs on a virtual host of its own. With window > 0
// a single raw channel publishes instead, keeping up to window messages
// unconfirmed: what RabbitMQ takes when confirms are not awaited one by one.
func brokerCeiling(tb testing.TB, n, publishers, window int) (time.Duration, string) {
	tb.Helper()
	vhost := "bench-ceiling-" + randomID()
	rabbitmqctl(tb, "add_vhost", vhost)
	tb.Cleanup(func() { rabbitmqctl(tb, "delete_vhost", vhost) })
	rabbitmqctl(tb, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
	cfg := broker.Config{URL: "amqp://guest:guest@127.0.0.1:5672/" + url.PathEscape(vhost)}
	topo := broker.Topology{
		Exchanges: []broker.Exchange{{Name: "ceiling.exchange"}},
		Queues:    []broker.Queue{{Name: "ceiling.queue", Bindings: []broker.Binding{{Exchange: "ceiling.exchange", Key: "ceiling"}}}},
	}
	dial := func(name string) *broker.Client {
		c := cfg
		c.Name = name
		cl, err := broker.Dial(tb.Context(), c, topo, zerolog.Nop())
		if err != nil {
			tb.Fatalf("dial the broker: %v", err)
		}
		tb.Cleanup(func() { _ = cl.Close() })
		return cl
	}
	pub, sub := dial("ceiling-publisher"), dial("ceiling-consumer")

	var consumed atomic.Int64
	all := make(chan struct{})
	ctx, stop := context.WithCancel(tb.Context())
	defer stop()
	consumer := make(chan error, 1)
	go func() {
		consumer <- sub.Consume(ctx, "ceiling.queue", 8, func(context.Context, broker.Delivery) error {
			if consumed.Add(1) == int64(n) {
				close(all)
			}
			return nil
		})
	}()

	body := make([]byte, 500) // the size of a signed request or return
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	cpu := newCPUWindow(map[string]int{})
	start := time.Now()
	if window > 0 {
		publishers = 0
		if err := pipelined(tb.Context(), cfg.URL, n, window, body); err != nil {
			tb.Fatalf("pipelined publish: %v", err)
		}
	}
	for range publishers {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				msg := broker.Message{Body: body, MessageID: strconv.FormatInt(i, 10)}
				if err := pub.Publish(tb.Context(), "ceiling.exchange", "ceiling", msg); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		tb.Fatalf("publish: %v", err)
	}
	select {
	case <-all:
	case err := <-consumer:
		tb.Fatalf("consumer stopped after %d messages: %v", consumed.Load(), err)
	case <-time.After(5 * time.Minute):
		tb.Fatalf("%d of %d messages consumed", consumed.Load(), n)
	}
	took := time.Since(start)
	usage := cpu.summary()
	stop()
	if err := <-consumer; err != nil && !errors.Is(err, context.Canceled) {
		tb.Fatalf("consumer: %v", err)
	}
	return took, usage
}

// pipelined publishes n persistent messages on one channel in confirm mode,
// waiting for the oldest confirm only when window messages are unconfirmed.
func pipelined(ctx context.Context, url string, n, window int, body []byte) error {
	return tryChannel(url, func(ch *amqp.Channel) error {
		if err := ch.Confirm(false); err != nil {
			return err
		}
		inFlight := make([]*amqp.DeferredConfirmation, 0, window)
		waitOldest := func() error {
			ok, err := inFlight[0].WaitContext(ctx)
			if err != nil || !ok {
				return fmt.Errorf("message %d not confirmed: %v", inFlight[0].DeliveryTag, err)
			}
			inFlight = inFlight[1:]
			return nil
		}
		for i := range n {
			if len(inFlight) == window {
				if err := waitOldest(); err != nil {
					return err
				}
			}
			dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, "ceiling.exchange", "ceiling", true, false,
				amqp.Publishing{ContentType: "application/json", DeliveryMode: amqp.Persistent, Body: body,
					MessageId: strconv.Itoa(i)})
			if err != nil {
				return err
			}
			inFlight = append(inFlight, dc)
		}
		for len(inFlight) > 0 {
			if err := waitOldest(); err != nil {
				return err
			}
		}
		return nil
	})
}

// BenchmarkCeilingBroker measures what the suite stands on in RabbitMQ:
// persistent messages published with publisher confirms through pkg/broker and
// consumed with manual acks, per second, with one publisher (as an outbox
// relay publishes: each message waits for its confirm) and with eight
// concurrent ones; and, for comparison, one raw channel keeping 256 messages
// unconfirmed. Run with -benchtime 1x.
func BenchmarkCeilingBroker(b *testing.B) {
	for _, tc := range []struct {
		name               string
		publishers, window int
		n                  int
	}{
		{"publishers=1", 1, 0, 5_000},
		{"publishers=8", 8, 0, 20_000},
		{"pipelined=256", 1, 256, 50_000},
	} {
		n := benchSize(tc.n, 200)
		b.Run(tc.name, func(b *testing.B) {
			load := loadAverage()
			var sum time.Duration
			var usage string
			for range b.N {
				took, u := brokerCeiling(b, n, tc.publishers, tc.window)
				sum, usage = sum+took, u
			}
			b.ReportMetric(float64(sum.Nanoseconds())/float64(b.N), "ns/op")
			b.ReportMetric(float64(n*b.N)/sum.Seconds(), "msgs/s")
			b.Logf("%d messages; load average at start %s", n, load)
			b.Logf("cpu: %s", usage)
		})
	}
}

// TestCeilingBrokerShort runs the broker ceiling's code with a few messages on
// every test run, so that it keeps working.
func TestCeilingBrokerShort(t *testing.T) {
	took, usage := brokerCeiling(t, 200, 4, 0)
	t.Logf("200 messages through the broker with 4 publishers: %s (cpu: %s)", took, usage)
	took, _ = brokerCeiling(t, 200, 1, 16)
	t.Logf("200 messages through the broker pipelined: %s", took)
}
