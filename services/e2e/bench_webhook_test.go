package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"paysuite/pkg/events"
	"paysuite/pkg/sign"
)

// benchReceiver is a webhook endpoint that answers 204 at once, checks every
// signature and records when each webhook id was first delivered.
type benchReceiver struct {
	URL    string
	secret []byte
	mu     sync.Mutex
	first  map[string]time.Time
	calls  int
	bad    int
	target int
	done   chan struct{}
}

// newBenchReceiver starts a receiver whose done closes once target distinct
// webhooks arrived.
func newBenchReceiver(tb testing.TB, target int) *benchReceiver {
	r := &benchReceiver{secret: []byte(devWebhookSecret), first: map[string]time.Time{}, target: target,
		done: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(r.serve))
	tb.Cleanup(srv.Close)
	r.URL = srv.URL + "/hook"
	return r
}

func (r *benchReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	id, ts := req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp")
	mac := hmac.New(sha256.New, r.secret)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	ok := hmac.Equal([]byte(req.Header.Get("webhook-signature")), []byte("v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil))))
	now := time.Now()
	r.mu.Lock()
	r.calls++
	if !ok {
		r.bad++
	}
	if _, seen := r.first[id]; !seen && id != "" {
		r.first[id] = now
		if len(r.first) == r.target {
			close(r.done)
		}
	}
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// downEndpoint returns the URL of a receiver that is down: "refusing" is a
// port nobody listens on (connections refused at once), "hanging" accepts
// connections and never answers, so each attempt lasts WEBHOOK_TIMEOUT.
func downEndpoint(tb testing.TB, kind string) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/hook"
	switch kind {
	case "refusing":
		_ = ln.Close()
	case "hanging":
		var mu sync.Mutex
		var conns []net.Conn
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		}()
		tb.Cleanup(func() {
			_ = ln.Close()
			mu.Lock()
			defer mu.Unlock()
			for _, c := range conns {
				_ = c.Close()
			}
		})
	default:
		tb.Fatalf("unknown down receiver %q", kind)
	}
	return url
}

// webhookRun is the outcome of a webhook measurement.
type webhookRun struct {
	n, down     int
	took        time.Duration // first publish to the n-th distinct delivery
	publishTook time.Duration // time to publish every Webhook message
	rate        float64
	calls, bad  int
	cpu         string
	backlog     string
	db          string
}

// measureWebhooks starts the notifier with its default settings (or extra
// ones), publishes the Webhook messages of n orders' created returns for a
// healthy local receiver and of one in ten more for a receiver that is down,
// sealed as the services write them, and measures how fast the n healthy
// webhooks are delivered.
func measureWebhooks(tb testing.TB, n int, downKind string, extra ...string) webhookRun {
	tb.Helper()
	s := NewSuite(tb)
	s.Start("notifier", append([]string{benchLogLevel}, extra...)...)
	s.WaitConsumers(events.WebhookQueue, 1)
	healthy := newBenchReceiver(tb, n)
	down := downEndpoint(tb, downKind)

	r := webhookRun{n: n, down: n / 10}
	total := n + r.down
	isDown := make([]bool, total) // r.down of them, spread evenly
	for j := range isDown {
		isDown[j] = (j+1)*r.down/total != j*r.down/total
	}
	// The messages are made before the clock starts: the services seal them
	// in their own transactions, not the notifier.
	bodies := make([][]byte, total)
	for i := range bodies {
		id := fmt.Sprintf("wh-%d", i)
		callback := healthy.URL
		if isDown[i] {
			callback = down
		}
		ret, err := sign.Seal(s.secret, map[string]any{"request_id": id, "event": "created", "status": 1,
			"order_id": "o-" + id, "amount": "1", "chain": "ETH", "symbol": "USDT", "timestamp": time.Now().Unix()}, time.Now())
		if err != nil {
			tb.Fatal(err)
		}
		if bodies[i], err = devKeys.Seal(events.WebhookKey, events.Webhook{Flow: "order", RequestID: id,
			CallbackURL: callback, MessageID: id + ":created", Body: string(ret)}); err != nil {
			tb.Fatal(err)
		}
	}
	cpu := s.cpuWindow()
	backlog := s.sampleBacklogs([]string{events.WebhookQueue},
		backlogQuery{name: "due deliveries", svc: "notifier", query: "SELECT COUNT(*) FROM deliveries WHERE state = 'pending' AND next_attempt_at <= NOW(6)"})
	db := s.sampleDB("notifier")
	start := time.Now()
	p := s.newPublisherAt(s.InternalURL)
	for i, body := range bodies {
		p.publish(events.Exchange, events.WebhookKey, fmt.Sprintf("webhook:wh-%d:created", i), body)
	}
	p.flush()
	r.publishTook = time.Since(start)
	select {
	case <-healthy.done:
	case <-time.After(wait + time.Duration(n)*20*time.Millisecond):
		healthy.mu.Lock()
		got := len(healthy.first)
		healthy.mu.Unlock()
		tb.Fatalf("%d of %d webhooks delivered", got, n)
	}
	healthy.mu.Lock()
	defer healthy.mu.Unlock()
	var last time.Time
	for _, at := range healthy.first {
		if at.After(last) {
			last = at
		}
	}
	r.took = last.Sub(start)
	r.backlog, r.db = backlog.finish(), db.finish()
	r.rate = float64(n) / r.took.Seconds()
	r.calls, r.bad = healthy.calls, healthy.bad
	r.cpu = cpu.summary()
	if r.bad > 0 {
		tb.Fatalf("%d webhooks with a bad signature", r.bad)
	}
	return r
}

// BenchmarkWebhooks measures webhook deliveries per second to a local receiver
// while a second receiver is down (target: at least 500/s), with the
// notifier's default settings (16 workers, 4 per host, 10 s timeout). The
// down receiver either refuses connections or accepts and never answers. A
// third run allows 16 deliveries per host instead of 4, to tell the per-host
// limit from the rest of the delivery path. Run with -benchtime 1x.
func BenchmarkWebhooks(b *testing.B) {
	n := benchSize(5_000, 20)
	for _, tc := range []struct {
		name, down string
		extra      []string
	}{
		{"down=refusing", "refusing", nil},
		{"down=hanging", "hanging", nil},
		{"down=refusing/host-limit=16", "refusing", []string{"WEBHOOK_HOST_CONCURRENCY=16"}},
	} {
		b.Run(fmt.Sprintf("n=%d/%s", n, tc.name), func(b *testing.B) {
			load := loadAverage()
			var sum time.Duration
			var last webhookRun
			for range b.N {
				last = measureWebhooks(b, n, tc.down, tc.extra...)
				sum += last.took
			}
			b.ReportMetric(float64(sum.Nanoseconds())/float64(b.N), "ns/op")
			b.ReportMetric(float64(n*b.N)/sum.Seconds(), "deliveries/s")
			b.ReportMetric(float64(n+last.down)/last.publishTook.Seconds(), "published/s")
			b.Logf("%d healthy and %d down deliveries; %d calls received; load average at start %s",
				n, last.down, last.calls, load)
			b.Logf("cpu: %s", last.cpu)
			b.Logf("backlog: %s", last.backlog)
			b.Logf("db: %s", last.db)
		})
	}
}

// TestBenchmarkWebhooksShort runs the webhook benchmark's code with 20
// deliveries on every test run, so that it keeps working.
func TestBenchmarkWebhooksShort(t *testing.T) {
	r := measureWebhooks(t, 20, "refusing")
	t.Logf("20 webhooks with a receiver down: %.0f/s; backlog: %s", r.rate, r.backlog)
}
