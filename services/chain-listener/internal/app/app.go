// Package app wires the chain-listener's parts together and runs them until the
// context ends.
package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"paysuite/pkg/broker"
	"paysuite/pkg/db"
	"paysuite/pkg/events"
	"paysuite/pkg/ops"
	"paysuite/pkg/outbox"
	"paysuite/pkg/topology"
	"paysuite/services/chain-listener/internal/chain"
	"paysuite/services/chain-listener/internal/config"
	"paysuite/services/chain-listener/internal/leader"
	"paysuite/services/chain-listener/internal/scanner"
	"paysuite/services/chain-listener/internal/store"
	"paysuite/services/chain-listener/internal/watchconsumer"
)

// Run starts the listener and blocks until ctx is cancelled or a part fails.
func Run(ctx context.Context, cfg config.Config, log zerolog.Logger) error {
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	gdb, err := db.Open(startCtx, cfg.DB, store.Migrations(), log)
	if err != nil {
		return err
	}
	if sqlDB, err := gdb.DB(); err == nil {
		defer sqlDB.Close()
	}
	mq, err := broker.Dial(startCtx, cfg.Broker, topology.Suite(cfg.Names), log)
	if err != nil {
		return err
	}
	defer mq.Close()
	node, err := chain.Dial(startCtx, cfg.RPCURL)
	if err != nil {
		return err
	}
	defer node.Close()

	st := store.New(gdb)
	relay := outbox.NewRelay(gdb, mq, log, 500, time.Second)
	lease := leader.New(gdb, "chain-listener:"+cfg.Chain, holderID(), cfg.LeaderTTL, log)
	scan := scanner.New(node, st, lease, scanner.Options{
		Chain:         cfg.Chain,
		Confirmations: cfg.Confirmations,
		Tokens:        cfg.Tokens,
		BatchBlocks:   cfg.BatchBlocks,
		Backfill:      cfg.Backfill,
		Start:         cfg.Start,
		DevMode:       cfg.DevMode,
	}, log, relay.Kick)

	ops := ops.New(cfg.HTTPAddr, log)
	m := newMetrics(ops.Registry(), gdb)
	ops.AddCheck("database", func(ctx context.Context) error { return db.Ping(ctx, gdb) })
	ops.AddCheck("broker", func(context.Context) error {
		if !mq.Ready() {
			return errors.New("not connected")
		}
		return nil
	})
	ops.AddCheck("chain", func(context.Context) error {
		if behind := m.behind(); lease.IsLeader() && behind > cfg.MaxLagBlocks {
			return fmt.Errorf("%d blocks behind the head (MAX_LAG_BLOCKS=%d)", behind, cfg.MaxLagBlocks)
		}
		return nil
	})

	wake := make(chan struct{}, 1)
	notify := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	var subscribed atomic.Bool

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return ops.Run(gctx) })
	g.Go(func() error { return lease.Run(gctx) })
	g.Go(func() error { return relay.Run(gctx) })
	g.Go(func() error {
		return mq.Consume(gctx, events.WatchQueue, cfg.Workers, watchconsumer.Handler(cfg.Chain, st, log))
	})
	if cfg.WSURL != "" {
		g.Go(func() error {
			chain.FollowHeads(gctx, cfg.WSURL, log, notify, subscribed.Store)
			return nil
		})
	}
	g.Go(func() error {
		return follow(gctx, scan, lease, wake, &subscribed, cfg.PollInterval, m, log)
	})
	log.Info().Str("chain", cfg.Chain).Uint64("confirmations", cfg.Confirmations).Msg("chain-listener started")
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// follow runs the scanner while this replica leads: on every new head, and by
// polling, faster while no head subscription is active.
func follow(ctx context.Context, scan *scanner.Scanner, lease *leader.Lease, wake <-chan struct{},
	subscribed *atomic.Bool, poll time.Duration, m *metrics, log zerolog.Logger) error {
	failures := 0
	for {
		wait := poll
		if subscribed.Load() {
			wait = 10 * poll // the subscription wakes us; polling only guards against silence
		}
		m.leader.Set(0)
		if lease.IsLeader() {
			m.leader.Set(1)
			head, err := scan.Step(ctx)
			if err == nil {
				m.observe(head, scan.Cursor(), scan.Watched())
			}
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				scan.Reset()
				failures++
				if !errors.Is(err, leader.ErrNotLeader) {
					log.Error().Err(err).Msg("scan failed")
				}
				wait = min(time.Duration(failures)*poll, 30*time.Second)
			} else {
				failures = 0
			}
		} else {
			scan.Reset()
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-wake:
		case <-lease.Changes():
		case <-timer.C:
		}
		timer.Stop()
	}
}

func holderID() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d:%d", host, os.Getpid(), time.Now().UnixNano())
}
