// Package service holds what every service does around its own logic: read its
// configuration, open its schema, connect to the broker, serve its operational
// endpoints, relay its outbox, and run its parts until a signal.
package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/config"
	"paysuite/pkg/db"
	"paysuite/pkg/events"
	"paysuite/pkg/logging"
	"paysuite/pkg/ops"
	"paysuite/pkg/outbox"
	"paysuite/pkg/topology"
)

// Configured is a service configuration that embeds config.Common.
type Configured[C any] interface {
	*C
	CommonSettings() *config.Common
}

// Main runs a service binary. With the single argument --healthcheck it probes
// the service's /healthz on HTTP_ADDR (for container healthchecks); otherwise
// it loads the configuration, builds the logger and calls run with a context
// that SIGINT or SIGTERM cancels. It exits 2 on a configuration error and 1
// when run fails.
func Main[C any, P Configured[C]](name string, run func(ctx context.Context, cfg C, log zerolog.Logger) error) {
	if len(os.Args) > 1 && os.Args[1] == "--healthcheck" {
		os.Exit(ops.Healthcheck(os.Getenv("HTTP_ADDR")))
	}
	cfg, err := config.Load[C]()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: configuration: %v\n", name, err)
		os.Exit(2)
	}
	log := logging.New(name, P(&cfg).CommonSettings().Log)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
		log.Error().Err(err).Msg(name + " stopped")
		os.Exit(1)
	}
	log.Info().Msg(name + " stopped")
}

// Options say what a service's base needs.
type Options struct {
	HTTPAddr string
	// Profiling adds /debug/pprof to the operational endpoints.
	Profiling  bool
	DB         db.Config
	Migrations fs.FS
	Broker     broker.Config
	Topology   broker.Topology
	// Outbox runs a relay for the schema's outbox table.
	Outbox bool
	// Name is the service's name, in its alerts.
	Name string
	// InternalSecrets authenticate internal messages, the current one first
	// (config.Common.InternalSecrets).
	InternalSecrets [][]byte
}

// Base is the infrastructure every service runs on.
type Base struct {
	DB *gorm.DB
	// MQ is the connection to the public virtual host: requests and returns.
	MQ *broker.Client
	// Internal is the connection to the internal virtual host: the messages
	// between the suite's services, consumed through Guard.
	Internal *broker.Client
	Ops      *ops.Server
	Relay    *outbox.Relay // nil without Options.Outbox
	// Keys seal the internal messages the service sends.
	Keys events.Keys
	name string
	log  zerolog.Logger
	// alerting holds a slot per dead-letter alert being sent.
	alerting chan struct{}
}

// Guard checks the internal messages the service consumes: consume every
// internal queue through Guard().Consume.
func (b *Base) Guard() events.Guard {
	return events.Guard{Keys: b.Keys, MQ: b.Internal, Service: b.name, Log: b.log}
}

// Start opens the schema (migrating it), connects to the broker (declaring the
// topology) and prepares the operational endpoints with database and broker
// readiness checks. Both connections are retried for up to two minutes, as the
// service may start before MariaDB or RabbitMQ.
func Start(ctx context.Context, opts Options, log zerolog.Logger) (*Base, error) {
	keys, err := events.NewKeys(opts.InternalSecrets...)
	if err != nil {
		return nil, err
	}
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	gdb, err := db.Open(startCtx, opts.DB, opts.Migrations, log)
	if err != nil {
		return nil, err
	}
	public, internal := topology.Split(opts.Topology)
	mq, err := broker.Dial(startCtx, opts.Broker, public, log)
	if err != nil {
		closeDB(gdb)
		return nil, err
	}
	internalCfg, err := opts.Broker.Internal()
	var imq *broker.Client
	if err == nil {
		imq, err = broker.Dial(startCtx, internalCfg, internal, log.With().Str("vhost", "internal").Logger())
	}
	if err != nil {
		_ = mq.Close()
		closeDB(gdb)
		return nil, fmt.Errorf("internal messages: %w", err)
	}
	b := &Base{DB: gdb, MQ: mq, Internal: imq, Ops: ops.New(opts.HTTPAddr, log), Keys: keys, name: opts.Name, log: log,
		alerting: make(chan struct{}, deadLetterAlertSlots)}
	mq.OnDeadLetter(b.alertDeadLetter)
	imq.OnDeadLetter(b.alertDeadLetter)
	if opts.Profiling {
		b.Ops.EnableProfiling()
	}
	if err := mq.RegisterMetrics(b.Ops.Registry()); err != nil {
		b.closeBroker()
		closeDB(gdb)
		return nil, err
	}
	b.Ops.AddCheck("database", func(ctx context.Context) error { return db.Ping(ctx, gdb) })
	for name, c := range map[string]*broker.Client{"broker": mq, "internal broker": imq} {
		b.Ops.AddCheck(name, func(context.Context) error {
			if !c.Ready() {
				return errors.New("not connected")
			}
			return nil
		})
	}
	if opts.Outbox {
		b.Relay = outbox.NewRelay(gdb, router{public: mq, internal: imq}, log, 500, time.Second)
		b.Ops.Registry().MustRegister(outbox.BacklogGauge(gdb))
	}
	return b, nil
}

// Kick wakes the outbox relay after a commit that wrote messages.
func (b *Base) Kick() {
	if b.Relay != nil {
		b.Relay.Kick()
	}
}

// Run runs the operational endpoints, the outbox relay and parts until ctx is
// cancelled or one of them fails, then closes the broker and the database.
// The consumers stop taking messages and finish what they hold before their
// part returns; the relay then flushes what they wrote.
func (b *Base) Run(ctx context.Context, parts ...func(context.Context) error) error {
	defer closeDB(b.DB)
	defer b.closeBroker()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return b.Ops.Run(gctx) })
	if b.Relay != nil {
		g.Go(func() error { return b.Relay.Run(gctx) })
	}
	for _, part := range parts {
		g.Go(func() error { return part(gctx) })
	}
	err := g.Wait()
	if b.Relay != nil {
		flush, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if ferr := b.Relay.Drain(flush); ferr != nil {
			b.log.Warn().Err(ferr).Msg("outbox not flushed on the way out; it is published at the next start")
		}
	}
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// A dead-letter alert is sent in the background, at most
// deadLetterAlertSlots at once and each for at most deadLetterAlertTimeout:
// past that it is only logged, so a burst of failures neither holds a
// consumer nor piles up.
const (
	deadLetterAlertSlots   = 4
	deadLetterAlertTimeout = 10 * time.Second
)

// alertDeadLetter raises a retries_exhausted alert, grouped by queue, for a
// message dead-lettered after failing every attempt: something the suite
// should have processed was not. Poison and oversized messages are the
// sender's doing; the notifier's dead-letter watch reports those. A dead
// letter of the alert queue itself raises none, lest it feed itself.
func (b *Base) alertDeadLetter(dl broker.DeadLetter) {
	if dl.Code != broker.DeadCodeRetriesExhausted || dl.Queue == events.AlertQueue {
		return
	}
	select {
	case b.alerting <- struct{}{}:
	default:
		b.log.Error().Str("queue", dl.Queue).Msg("too many dead-letter alerts in flight; this one is only logged")
		return
	}
	go func() {
		defer func() { <-b.alerting }()
		ctx, cancel := context.WithTimeout(context.Background(), deadLetterAlertTimeout)
		defer cancel()
		now := time.Now()
		alert := events.Alert{Kind: events.AlertRetriesExhausted, Key: dl.Queue, Service: b.name, At: now.Unix(),
			Message: fmt.Sprintf("%s gave up on a message of %s after %d failed attempts and dead-lettered it; its %s header holds the last error",
				b.name, dl.Queue, dl.Attempts, broker.HeaderDeadReason)}
		msg, err := b.Keys.Alert(fmt.Sprintf("alert:%s:%s:%d", events.AlertRetriesExhausted, dl.Queue, now.UnixNano()), alert)
		if err == nil {
			err = b.Internal.Publish(ctx, msg.Exchange, msg.RoutingKey, broker.Message{Body: msg.Body, MessageID: msg.MessageID})
		}
		if err != nil {
			b.log.Error().Err(err).Str("queue", dl.Queue).Msg("alert about a dead-lettered message not sent")
		}
	}()
}

func (b *Base) closeBroker() {
	_ = b.MQ.Close()
	_ = b.Internal.Close()
}

func closeDB(gdb *gorm.DB) {
	if sqlDB, err := gdb.DB(); err == nil {
		_ = sqlDB.Close()
	}
}
