// Package app wires the chain-listener's parts together and runs them until the
// context ends: one follower per configured chain (its node, scanner, lease,
// watchdog and head subscription) and the consumers of the requests they share.
package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/events"
	"paysuite/pkg/outbox"
	"paysuite/pkg/service"
	"paysuite/pkg/topology"
	"paysuite/services/chain-listener/internal/config"
	"paysuite/services/chain-listener/internal/store"
	"paysuite/services/chain-listener/internal/watchconsumer"
)

// watchBatch is the most watch requests recorded with one statement; batches
// form only while every worker is busy.
const watchBatch = 100

// watchListBatch is the most watch lists recorded with one statement: a list
// holds up to a few dozen addresses.
const watchListBatch = 4

// Name is the service's name, in its logs and alerts.
const Name = "chain-listener"

// Run starts the listener and blocks until ctx is cancelled or a part fails.
func Run(ctx context.Context, cfg config.Config, log zerolog.Logger) error {
	// Every node that answers is checked before the database or the broker
	// is touched; one that does not is dialled again by its follower.
	nodes := make([]*node, len(cfg.List))
	refused := make([]error, len(cfg.List))
	var wg sync.WaitGroup
	for i, ch := range cfg.List {
		nodes[i] = &node{ch: ch, check: cfg.CheckDevChain}
		defer nodes[i].Close()
		wg.Go(func() { refused[i] = nodes[i].dial(ctx, startWait, log.With().Str("chain", ch.Name).Logger()) })
	}
	wg.Wait()
	if err := errors.Join(refused...); err != nil {
		return err
	}
	base, err := service.Start(ctx, service.Options{
		HTTPAddr: cfg.HTTPAddr, Profiling: cfg.Profiling, DB: cfg.DB, Migrations: store.Migrations(),
		Broker: cfg.Broker, Topology: topology.Suite(cfg.Names), Outbox: true,
		Name: Name, InternalSecrets: cfg.InternalSecrets(),
	}, log)
	if err != nil {
		return err
	}

	schema := store.New(base.DB)
	m := newMetrics(base.Ops.Registry())
	holder := holderID()
	followers := make([]*follower, len(cfg.List))
	recorders := make(map[string]watchconsumer.Recorder, len(cfg.List))
	rescans := make(map[string]rescanRecorder, len(cfg.List))
	var parts []func(context.Context) error
	for i, ch := range cfg.List {
		f := newFollower(cfg, ch, nodes[i], schema, base, holder, m, log)
		followers[i] = f
		recorders[ch.Name], rescans[ch.Name] = f.store, f.store
		parts = append(parts, f.run)
	}
	base.Ops.AddCheck("chain", eachChain(followers, func(f *follower) func(context.Context) error { return f.following }))
	base.Ops.AddCheck("reorg", eachChain(followers, func(f *follower) func(context.Context) error { return f.dog.Ready }))

	watch := watchconsumer.Consumer{Recorders: recorders, Log: log}
	// Every queue through the guard: a message the suite did not seal is
	// dead-lettered before a handler sees it.
	guard := base.Guard()
	for _, q := range []struct {
		name  string
		batch int
	}{{events.WatchQueue, watchBatch}, {events.WatchListQueue, watchListBatch}} {
		parts = append(parts, func(ctx context.Context) error {
			return guard.Consume(ctx, q.name, cfg.Workers, watch.Handle, broker.Batching{Max: q.batch, Handler: watch.HandleBatch})
		})
	}
	parts = append(parts, func(ctx context.Context) error {
		return base.Guard().Consume(ctx, events.RescanQueue, 1, rescanHandler(rescans, cfg.List[0].Name, log), broker.Batching{})
	})
	for _, ch := range cfg.List {
		log.Info().Str("chain", ch.Name).Uint64("confirmations", ch.Confirmations).Str("finality", ch.Finality).
			Msg("chain-listener follows the chain")
	}
	return base.Run(ctx, parts...)
}

// eachChain is a /readyz check that runs check of every follower and names
// the chains that fail.
func eachChain(followers []*follower, check func(*follower) func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		var errs []error
		for _, f := range followers {
			if err := check(f)(ctx); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", f.name, err))
			}
		}
		return errors.Join(errs...)
	}
}

func holderID() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d:%d", host, os.Getpid(), time.Now().UnixNano())
}

// alertRaiser publishes an alert through the outbox.
func alertRaiser(base *service.Base) func(ctx context.Context, a events.Alert) error {
	return func(ctx context.Context, a events.Alert) error {
		msg, err := base.Keys.Alert(fmt.Sprintf("alert:%s:%s:%d", a.Kind, a.Key, time.Now().UnixNano()), a)
		if err != nil {
			return err
		}
		err = base.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return outbox.Add(tx, msg) })
		if err != nil {
			return fmt.Errorf("raise %s alert: %w", a.Kind, err)
		}
		base.Kick()
		return nil
	}
}
