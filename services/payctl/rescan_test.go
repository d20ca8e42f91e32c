package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/rs/zerolog"

	"paysuite/pkg/broker"
	pkgconfig "paysuite/pkg/config"
	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/topology"
)

// suiteRescanQueue is the chain-listener's side of an internal virtual host
// of the real broker: its rescan queue consumed through events.Guard with the
// keys of secret, as the listener consumes it.
type suiteRescanQueue struct {
	url      string
	mu       sync.Mutex
	accepted []events.RescanRequest
	client   *broker.Client
}

func startRescanQueue(t *testing.T, secret string) *suiteRescanQueue {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	vhost := "payctl-test-" + hex.EncodeToString(b[:])
	rabbitmqctl(t, "add_vhost", vhost)
	t.Cleanup(func() { rabbitmqctl(t, "delete_vhost", vhost) })
	rabbitmqctl(t, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
	q := &suiteRescanQueue{url: "amqp://guest:guest@127.0.0.1:5672/" + url.PathEscape(vhost)}
	_, internal := topology.Split(topology.Suite(contract.DefaultNames()))
	client, err := broker.Dial(t.Context(), broker.Config{URL: q.url}, internal, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	q.client = client
	keys, err := events.NewKeys([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	guard := events.Guard{Keys: keys, MQ: client, Service: "chain-listener", Log: zerolog.Nop()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = guard.Consume(ctx, events.RescanQueue, 1, func(_ context.Context, d broker.Delivery) error {
			var req events.RescanRequest
			if err := json.Unmarshal(d.Body, &req); err != nil {
				return broker.Poison(err.Error())
			}
			q.mu.Lock()
			defer q.mu.Unlock()
			q.accepted = append(q.accepted, req)
			return nil
		}, broker.Batching{})
	}()
	t.Cleanup(func() { cancel(); <-done; _ = client.Close() })
	return q
}

// deadReason takes a message from the virtual host's dead-letter queue and
// returns why it is there; ok is false while the queue is empty.
func (q *suiteRescanQueue) deadReason() (reason string, ok bool) {
	conn, err := amqp.Dial(q.url)
	if err != nil {
		return "", false
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return "", false
	}
	d, ok, err := ch.Get("pay.dead.queue", true)
	if err != nil || !ok {
		return "", false
	}
	reason, _ = d.Headers[broker.HeaderDeadReason].(string)
	return reason, true
}

func rabbitmqctl(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("rabbitmqctl", args...).CombinedOutput(); err != nil {
		t.Fatalf("rabbitmqctl %v: %v\n%s", args, err, out)
	}
}

// waitFor polls cond until it holds or ten seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRescanIsSealed runs payctl rescan against a rescan queue guarded as the
// listener guards it: the request is accepted with the development secret in
// the development mode and with INTERNAL_SECRET otherwise, dead-lettered when
// payctl holds another secret, and refused before any publish without one.
func TestRescanIsSealed(t *testing.T) {
	const secret = "payctl-test-internal-secret-0123456789"
	cases := []struct {
		name, queueSecret string
		cfg               config
		accepted          bool
	}{
		{"development mode", pkgconfig.DevInternalSecret, config{DevMode: true}, true},
		{"INTERNAL_SECRET", secret, config{InternalSecret: secret}, true},
		{"another secret", secret, config{InternalSecret: "not-the-suite-internal-secret"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := startRescanQueue(t, c.queueSecret)
			c.cfg.AMQPURL = "amqp://guest:guest@127.0.0.1:1/" // never used: rescan takes the internal one
			c.cfg.AMQPInternalURL = q.url
			if err := rescan(t.Context(), c.cfg, []string{"5", "9"}); err != nil {
				t.Fatal(err)
			}
			if !c.accepted {
				var reason string
				waitFor(t, "the request dead-lettered", func() bool {
					var ok bool
					reason, ok = q.deadReason()
					return ok
				})
				if !strings.Contains(reason, "bad mac") {
					t.Errorf("dead-lettered because %q", reason)
				}
				q.mu.Lock()
				defer q.mu.Unlock()
				if len(q.accepted) != 0 {
					t.Fatalf("accepted %+v", q.accepted)
				}
				return
			}
			waitFor(t, "the request accepted", func() bool {
				q.mu.Lock()
				defer q.mu.Unlock()
				return len(q.accepted) == 1
			})
			q.mu.Lock()
			defer q.mu.Unlock()
			if r := q.accepted[0]; r.From == nil || r.To == nil || *r.From != 5 || *r.To != 9 {
				t.Fatalf("accepted %+v", r)
			}
		})
	}
	err := rescan(t.Context(), config{AMQPURL: "amqp://guest:guest@127.0.0.1:1/"}, []string{"5", "9"})
	if err == nil || !strings.Contains(err.Error(), "INTERNAL_SECRET: required unless DEV_MODE=true") {
		t.Fatalf("without a secret outside the development mode: %v", err)
	}
}
