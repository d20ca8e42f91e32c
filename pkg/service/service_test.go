package service_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/rs/zerolog"

	"paysuite/pkg/broker"
	"paysuite/pkg/broker/brokertest"
	"paysuite/pkg/contract"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/events"
	"paysuite/pkg/service"
	"paysuite/pkg/service/servicetest"
	"paysuite/pkg/topology"
)

// A message a service's handler fails on every attempt is dead-lettered and
// raises a retries_exhausted alert, sealed with the service's keys, on the
// internal virtual host; a poison message raises none.
func TestRetriesExhaustedRaisesAlert(t *testing.T) {
	secret := []byte("internal-secret")
	keys, err := events.NewKeys(secret)
	if err != nil {
		t.Fatal(err)
	}
	names := contract.DefaultNames()
	v := brokertest.NewVhosts(t, "t-service")
	public, internal := servicetest.Connect(t, v, names)
	alerts := brokertest.Follow(t, internal, events.AlertQueue)
	dead := brokertest.Follow(t, public, "pay.dead.queue")

	b, err := service.Start(t.Context(), service.Options{
		HTTPAddr:        "127.0.0.1:0",
		DB:              dbtest.Config(t),
		Migrations:      fstest.MapFS{},
		Broker:          v.Config(broker.Config{MaxAttempts: 2, RequeueDelay: 10 * time.Millisecond, RetryBackoffMax: 10 * time.Millisecond}),
		Topology:        topology.Suite(names),
		Name:            "topup",
		InternalSecrets: [][]byte{secret},
	}, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- b.Run(ctx, func(ctx context.Context) error {
			return b.MQ.Consume(ctx, names.TopupQueue, 1, func(_ context.Context, d broker.Delivery) error {
				if string(d.Body) == "poison" {
					return broker.Poison("not a request")
				}
				return errors.New("database unavailable")
			})
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})

	servicetest.Publish(t, public, names.TopupQueue, []byte("poison"))
	if d := brokertest.Next(t, dead, "poison dead letter"); brokertest.DeadCode(d) != broker.DeadCodePoison {
		t.Fatalf("dead letter code %q, want poison", brokertest.DeadCode(d))
	}
	servicetest.Publish(t, public, names.TopupQueue, []byte(`{"request_id":"r-1"}`))
	d := brokertest.Next(t, dead, "retries_exhausted dead letter")
	if brokertest.DeadCode(d) != broker.DeadCodeRetriesExhausted || !strings.Contains(brokertest.DeadReason(d), "database unavailable") {
		t.Fatalf("dead letter code %q reason %q", brokertest.DeadCode(d), brokertest.DeadReason(d))
	}
	a := servicetest.Open[events.Alert](t, keys, alerts, "alert")
	if a.Kind != events.AlertRetriesExhausted || a.Key != names.TopupQueue || a.Service != "topup" ||
		!strings.Contains(a.Message, "2 failed attempts") {
		t.Fatalf("alert %+v, want retries_exhausted for %s", a, names.TopupQueue)
	}
	select {
	case d := <-alerts:
		t.Fatalf("a second alert: %s", d.Body)
	default:
	}
}
