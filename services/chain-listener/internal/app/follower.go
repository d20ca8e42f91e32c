package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"paysuite/pkg/config/onchain"
	"paysuite/pkg/redact"
	"paysuite/pkg/service"
	"paysuite/services/chain-listener/internal/chain"
	"paysuite/services/chain-listener/internal/config"
	"paysuite/services/chain-listener/internal/leader"
	"paysuite/services/chain-listener/internal/scanner"
	"paysuite/services/chain-listener/internal/store"
	"paysuite/services/chain-listener/internal/watchdog"
)

// follower follows one chain: its scanner runs while this replica holds the
// chain's lease, so replicas may lead different chains, and a chain that
// stalls, reorganises or loses its node holds up no other.
type follower struct {
	name       string
	wsURL      string
	node       *node
	single     bool // the chain is the only one: rows from before chain lists are its own
	schema     *store.Schema
	store      *store.Store
	lease      *leader.Lease
	scan       *scanner.Scanner
	dog        *watchdog.Watchdog
	m          *chainMetrics
	poll       time.Duration
	log        zerolog.Logger
	wake       chan struct{}
	subscribed atomic.Bool
}

func newFollower(cfg config.Config, ch onchain.Chain, node *node, schema *store.Schema, base *service.Base,
	holder string, m *metrics, log zerolog.Logger) *follower {
	log = log.With().Str("chain", ch.Name).Logger()
	st := schema.Chain(ch.Name)
	f := &follower{name: ch.Name, wsURL: ch.WSURL, node: node, single: len(cfg.List) == 1, schema: schema, store: st,
		poll: cfg.PollInterval, log: log, wake: make(chan struct{}, 1)}
	f.lease = leader.New(base.DB, "chain-listener:"+ch.Name, holder, cfg.LeaderTTL, log)
	f.scan = scanner.New(node, st, f.lease, scanner.Options{
		Chain:         ch.Name,
		Confirmations: ch.Confirmations,
		Finality:      ch.Finality,
		Tokens:        ch.Tokens,
		BatchBlocks:   cfg.BatchBlocks,
		Backfill:      cfg.Backfill,
		MaxBackfill:   cfg.MaxBackfill,
		BackfillChunk: cfg.BackfillChunk,
		Start:         cfg.Start,
		DevMode:       cfg.DevMode,
		Keys:          base.Keys,
	}, log, base.Kick)
	f.dog = watchdog.New(watchdog.Options{
		Chain: ch.Name, MaxLagBlocks: cfg.MaxLagBlocks, MaxLagFor: cfg.MaxLagFor,
		BackfillAfter: cfg.BackfillAlertAfter, RepeatAfter: cfg.AlertRepeat, Interval: max(cfg.PollInterval, time.Second),
	}, watchdog.Parts{
		Head: func(ctx context.Context) (uint64, error) {
			n, err := node.Head(ctx)
			return n, redact.Error(err, ch.RPCURL)
		},
		Cursor: f.scan.Cursor, Leading: f.lease.IsLeader, BackfillWaiting: st.BackfillWaiting,
		Raise: alertRaiser(base),
	}, log)
	f.m = m.chain(ch.Name, f.dog.Lag)
	return f
}

// run connects to the chain's node, adopts the rows from before chain lists
// that are the chain's, and then runs the lease, the watchdog, the scan and,
// with a websocket endpoint, the head subscription until ctx ends. Only a
// node that is not the chain's, or a database that fails the adoption,
// stops it (and the listener).
func (f *follower) run(ctx context.Context) error {
	connected := make(chan struct{})
	go f.dog.Unconnected(ctx, connected, errNotConnected)
	err := f.node.connect(ctx, f.log)
	close(connected)
	if err != nil || ctx.Err() != nil {
		return err
	}
	if err := f.adopt(ctx); err != nil {
		return err
	}
	parts := []func(context.Context) error{f.lease.Run, f.dog.Run, f.follow}
	if f.wsURL != "" {
		parts = append(parts, func(ctx context.Context) error {
			chain.FollowHeads(ctx, f.wsURL, f.log, f.notify, f.subscribed.Store)
			return nil
		})
	}
	var wg sync.WaitGroup
	for _, part := range parts {
		wg.Go(func() { _ = part(ctx) }) // each returns when ctx ends
	}
	wg.Wait()
	return nil
}

// adopt gives the rows written before the listener served several chains to
// this chain when it is the only one, or when the legacy cursor names its
// genesis; otherwise they are left, and said.
func (f *follower) adopt(ctx context.Context) error {
	if !f.single {
		legacy, err := f.schema.LegacyGenesis(ctx)
		if err != nil || legacy == "" {
			return err
		}
		genesis, err := f.node.Genesis(ctx)
		if err != nil {
			return fmt.Errorf("read the genesis of %s: %w", f.name, err)
		}
		if genesis != legacy {
			f.log.Info().Str("genesis", genesis).Str("legacy_genesis", legacy).
				Msg("the rows from before several chains are not this chain's: left to the chain of their genesis")
			return nil
		}
	}
	adopted, err := f.schema.AdoptLegacy(ctx, f.name)
	switch {
	case errors.Is(err, store.ErrLegacyChainTaken):
		f.log.Warn().Msg("rows from before several chains left as they are: " + err.Error())
		return nil
	case err == nil && adopted:
		f.log.Info().Msg("rows from before several chains adopted")
	}
	return err
}

// following is the chain's /readyz check: its node connected and, where this
// replica leads the chain, answering and followed closely enough.
func (f *follower) following(ctx context.Context) error {
	if !f.node.connected() {
		return fmt.Errorf("its node does not answer: %w", errNotConnected)
	}
	return f.dog.Following(ctx)
}

// notify wakes the scan for a new head.
func (f *follower) notify() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// follow runs the scanner while this replica leads: on every new head, and by
// polling, faster while no head subscription is active, and at once again
// while backfills have blocks left. A reorganisation deeper than the kept
// blocks is retried like any failure, and reported to the watchdog.
func (f *follower) follow(ctx context.Context) error {
	failures := 0
	for {
		wait := f.poll
		if f.subscribed.Load() {
			wait = 10 * f.poll // the subscription wakes us; polling only guards against silence
		}
		f.m.leader.Set(0)
		if f.lease.IsLeader() {
			f.m.leader.Set(1)
			head, err := f.scan.Step(ctx)
			switch {
			case err == nil:
				f.m.observe(head, f.scan.Cursor(), f.scan.Watched())
				f.dog.Scanned()
				failures = 0
				if f.scan.Backfilling() {
					wait = 0
				}
			case ctx.Err() != nil:
				return nil
			default:
				f.scan.Reset()
				failures++
				switch {
				case errors.Is(err, scanner.ErrReorgTooDeep):
					f.dog.ReorgTooDeep(ctx, err)
				case !errors.Is(err, leader.ErrNotLeader):
					f.log.Error().Err(err).Msg("scan failed")
				}
				wait = min(time.Duration(failures)*f.poll, 30*time.Second)
			}
		} else {
			f.scan.Reset()
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-f.wake:
		case <-f.lease.Changes():
		case <-timer.C:
		}
		timer.Stop()
	}
}
