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
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/ethnode"
	"paysuite/pkg/events"
	"paysuite/pkg/outbox"
	"paysuite/pkg/service"
	"paysuite/pkg/topology"
	"paysuite/services/chain-listener/internal/chain"
	"paysuite/services/chain-listener/internal/config"
	"paysuite/services/chain-listener/internal/leader"
	"paysuite/services/chain-listener/internal/scanner"
	"paysuite/services/chain-listener/internal/store"
	"paysuite/services/chain-listener/internal/watchconsumer"
	"paysuite/services/chain-listener/internal/watchdog"
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
	rpcClient, err := ethnode.Dial(ctx, cfg.RPCURL, cfg.CheckDevChain, log)
	if err != nil {
		return err
	}
	node := chain.New(rpcClient)
	defer node.Close()
	base, err := service.Start(ctx, service.Options{
		HTTPAddr: cfg.HTTPAddr, Profiling: cfg.Profiling, DB: cfg.DB, Migrations: store.Migrations(),
		Broker: cfg.Broker, Topology: topology.Suite(cfg.Names), Outbox: true,
		Name: Name, InternalSecrets: cfg.InternalSecrets(),
	}, log)
	if err != nil {
		return err
	}

	st := store.New(base.DB)
	lease := leader.New(base.DB, "chain-listener:"+cfg.Chain, holderID(), cfg.LeaderTTL, log)
	scan := scanner.New(node, st, lease, scanner.Options{
		Chain:         cfg.Chain,
		Confirmations: cfg.Confirmations,
		Tokens:        cfg.Tokens,
		BatchBlocks:   cfg.BatchBlocks,
		Backfill:      cfg.Backfill,
		MaxBackfill:   cfg.MaxBackfill,
		BackfillChunk: cfg.BackfillChunk,
		Start:         cfg.Start,
		DevMode:       cfg.DevMode,
		Keys:          base.Keys,
	}, log, base.Kick)
	dog := watchdog.New(watchdog.Options{
		Chain: cfg.Chain, MaxLagBlocks: cfg.MaxLagBlocks, MaxLagFor: cfg.MaxLagFor,
		BackfillAfter: cfg.BackfillAlertAfter, RepeatAfter: cfg.AlertRepeat, Interval: max(cfg.PollInterval, time.Second),
	}, watchdog.Parts{
		Head: node.Head, Cursor: scan.Cursor, Leading: lease.IsLeader, BackfillWaiting: st.BackfillWaiting,
		Raise: alertRaiser(base),
	}, log)
	m := newMetrics(base.Ops.Registry(), dog.Lag)
	base.Ops.AddCheck("chain", func(context.Context) error {
		if behind := dog.Lag(); lease.IsLeader() && behind > cfg.MaxLagBlocks {
			return fmt.Errorf("%d blocks behind the head (MAX_LAG_BLOCKS=%d)", behind, cfg.MaxLagBlocks)
		}
		return nil
	})
	base.Ops.AddCheck("reorg", dog.Ready)

	wake := make(chan struct{}, 1)
	notify := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	var subscribed atomic.Bool
	watch := watchconsumer.Consumer{Chain: cfg.Chain, Recorder: st, Log: log}
	parts := []func(context.Context) error{
		lease.Run,
		dog.Run,
		func(ctx context.Context) error {
			return follow(ctx, scan, lease, dog, wake, &subscribed, cfg.PollInterval, m, log)
		},
	}
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
	rescans := events.RescanQueue
	parts = append(parts, func(ctx context.Context) error {
		return guard.Consume(ctx, rescans, 1, rescanHandler(st, log), broker.Batching{})
	})
	if cfg.WSURL != "" {
		parts = append(parts, func(ctx context.Context) error {
			chain.FollowHeads(ctx, cfg.WSURL, log, notify, subscribed.Store)
			return nil
		})
	}
	log.Info().Str("chain", cfg.Chain).Uint64("confirmations", cfg.Confirmations).Msg("chain-listener started")
	return base.Run(ctx, parts...)
}

// follow runs the scanner while this replica leads: on every new head, and by
// polling, faster while no head subscription is active, and at once again
// while backfills have blocks left. A reorganisation deeper than the kept
// blocks is retried like any failure, and reported to the watchdog.
func follow(ctx context.Context, scan *scanner.Scanner, lease *leader.Lease, dog *watchdog.Watchdog,
	wake <-chan struct{}, subscribed *atomic.Bool, poll time.Duration, m *metrics, log zerolog.Logger) error {
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
			switch {
			case err == nil:
				m.observe(head, scan.Cursor(), scan.Watched())
				dog.Scanned()
				failures = 0
				if scan.Backfilling() {
					wait = 0
				}
			case ctx.Err() != nil:
				return nil
			default:
				scan.Reset()
				failures++
				switch {
				case errors.Is(err, scanner.ErrReorgTooDeep):
					dog.ReorgTooDeep(ctx, err)
				case !errors.Is(err, leader.ErrNotLeader):
					log.Error().Err(err).Msg("scan failed")
				}
				wait = min(time.Duration(failures)*poll, 30*time.Second)
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
