package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"paysuite/pkg/broker"
	"paysuite/pkg/broker/brokertest"
	pkgconfig "paysuite/pkg/config"
	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/topology"
)

// suiteRescanQueue is the chain-listener's side of an internal virtual host
// of the real broker: its rescan queue consumed through events.Guard with the
// keys of secret, as the listener consumes it.
type suiteRescanQueue struct {
	url string
	// accepted receives what the guard lets through, dead the virtual host's
	// dead letters.
	accepted, dead <-chan broker.Delivery
}

func startRescanQueue(t *testing.T, secret string) *suiteRescanQueue {
	t.Helper()
	q := &suiteRescanQueue{url: brokertest.Vhost(t, "payctl-test-"+rand.Text())}
	_, internal := topology.Split(topology.Suite(contract.DefaultNames()))
	client := brokertest.Dial(t, q.url, internal)
	keys, err := events.NewKeys([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	guard := events.Guard{Keys: keys, MQ: client, Service: "chain-listener", Log: zerolog.Nop()}
	accepted := make(chan broker.Delivery, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = guard.Consume(ctx, events.RescanQueue, 1, func(_ context.Context, d broker.Delivery) error {
			accepted <- d
			return nil
		}, broker.Batching{})
	}()
	t.Cleanup(func() { cancel(); <-done })
	q.accepted, q.dead = accepted, brokertest.Follow(t, client, "pay.dead.queue")
	return q
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
				reason := brokertest.DeadReason(brokertest.Next(t, q.dead, "the request dead-lettered"))
				if !strings.Contains(reason, "bad mac") {
					t.Errorf("dead-lettered because %q", reason)
				}
				select {
				case d := <-q.accepted:
					t.Fatalf("accepted %s", d.Body)
				default:
				}
				return
			}
			d := brokertest.Next(t, q.accepted, "the request accepted")
			var r events.RescanRequest
			if err := json.Unmarshal(d.Body, &r); err != nil || r.From == nil || r.To == nil || *r.From != 5 || *r.To != 9 {
				t.Fatalf("accepted %s", d.Body)
			}
		})
	}
	err := rescan(t.Context(), config{AMQPURL: "amqp://guest:guest@127.0.0.1:1/"}, []string{"5", "9"})
	if err == nil || !strings.Contains(err.Error(), "INTERNAL_SECRET: required unless DEV_MODE=true") {
		t.Fatalf("without a secret outside the development mode: %v", err)
	}
}
