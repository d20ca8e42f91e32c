// Package watchdog watches the chain-listener's own progress on one chain and
// raises the operator alerts about it: the chain's node not answering or the
// leader behind the head for too long, a reorganisation deeper than the kept
// blocks (which also fails /readyz), and addresses waiting too long for their
// backfill. An alert is raised when its
// condition starts and again every RepeatAfter while it lasts; the notifier
// rate-limits what reaches the operators further.
package watchdog

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"paysuite/pkg/events"
)

// Options configure a watchdog.
type Options struct {
	Chain string
	// MaxLagBlocks and MaxLagFor: an alert when the leader is more than
	// MaxLagBlocks behind the head, or the node does not answer, for longer
	// than MaxLagFor.
	MaxLagBlocks uint64
	MaxLagFor    time.Duration
	// BackfillAfter: an alert when an address has waited longer for its backfill.
	BackfillAfter time.Duration
	// RepeatAfter is how often an alert is raised again while its condition lasts.
	RepeatAfter time.Duration
	// Interval is how often the conditions are looked at.
	Interval time.Duration
}

// Parts are what the watchdog reads and how it raises alerts.
type Parts struct {
	// Head reads the node's newest block number.
	Head func(ctx context.Context) (uint64, error)
	// Cursor is the last block the scanner processed.
	Cursor func() uint64
	// Leading tells whether this replica scans: only the leader's progress
	// means anything, and only the leader alerts.
	Leading func() bool
	// BackfillWaiting counts the addresses waiting for their backfill and
	// how long the oldest has waited.
	BackfillWaiting func(ctx context.Context) (int64, time.Duration, error)
	// Raise publishes an alert.
	Raise func(ctx context.Context, a events.Alert) error
}

// Watchdog holds the state of the conditions it watches.
type Watchdog struct {
	opts  Options
	parts Parts
	log   zerolog.Logger
	lag   atomic.Uint64

	mu          sync.Mutex
	headErr     error     // why the node's head could not be read at the last look
	downSince   time.Time // since when the node's head could not be read
	behindSince time.Time
	deep        error     // the last reorganisation found too deep, until a scan succeeds
	deepSince   time.Time // when it was first found
	raised      map[string]time.Time
}

// New builds a watchdog.
func New(opts Options, parts Parts, log zerolog.Logger) *Watchdog {
	return &Watchdog{opts: opts, parts: parts, log: log, raised: map[string]time.Time{}}
}

// Lag is how many blocks the leader was behind the head at the last look (0
// on a replica that does not lead).
func (w *Watchdog) Lag() uint64 { return w.lag.Load() }

// Run looks at the conditions every Interval until ctx ends.
func (w *Watchdog) Run(ctx context.Context) error {
	tick := time.NewTicker(w.opts.Interval)
	defer tick.Stop()
	for {
		w.Check(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Check looks at the lag and the waiting backfills once.
func (w *Watchdog) Check(ctx context.Context) {
	if !w.parts.Leading() {
		// Another replica scans: this one's state of the chain means nothing.
		w.lag.Store(0)
		w.mu.Lock()
		w.behindSince, w.deep, w.headErr, w.downSince = time.Time{}, nil, nil, time.Time{}
		w.mu.Unlock()
		return
	}
	head, err := w.parts.Head(ctx)
	w.checkNode(ctx, err)
	if err != nil {
		w.log.Debug().Err(err).Msg("watchdog: read head")
	} else {
		w.checkLag(ctx, head)
	}
	n, age, err := w.parts.BackfillWaiting(ctx)
	if err != nil {
		w.log.Debug().Err(err).Msg("watchdog: count waiting backfills")
		return
	}
	if n > 0 && age > w.opts.BackfillAfter {
		w.raise(ctx, events.AlertBackfillWaiting, fmt.Sprintf(
			"%d address(es) on %s wait for the listener to look through the blocks since they were handed out, "+
				"the oldest for %s (WATCH_BACKFILL_ALERT_AFTER=%s): their deposits are not reported until then. "+
				"Check the listener's logs and its node.", n, w.opts.Chain, age.Round(time.Second), w.opts.BackfillAfter))
	} else {
		w.clear(events.AlertBackfillWaiting)
	}
}

// Unconnected raises node_unreachable, as Check does, while the chain's node
// has not answered since the start (err says why), until connected is
// closed: the scan and its lease wait for the node, so Check does not run.
func (w *Watchdog) Unconnected(ctx context.Context, connected <-chan struct{}, err error) {
	tick := time.NewTicker(w.opts.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-connected:
			return
		case <-tick.C:
			w.checkNode(ctx, err)
		}
	}
}

// checkNode records whether the chain's node answered (err is why it did
// not), and raises node_unreachable once it has not for MaxLagFor.
func (w *Watchdog) checkNode(ctx context.Context, err error) {
	w.mu.Lock()
	w.headErr = err
	w.mu.Unlock()
	if down := w.lasting(&w.downSince, err != nil, events.AlertNodeUnreachable); down > w.opts.MaxLagFor {
		w.raise(ctx, events.AlertNodeUnreachable, fmt.Sprintf(
			"the node of %s has not answered for %s (MAX_LAG_ALERT_AFTER=%s): %v. Transfers on %s are not seen "+
				"until it is back, then the listener catches up from where it stopped; other chains are not affected.",
			w.opts.Chain, down.Round(time.Second), w.opts.MaxLagFor, err, w.opts.Chain))
	}
}

func (w *Watchdog) checkLag(ctx context.Context, head uint64) {
	cursor := w.parts.Cursor()
	lag := uint64(0)
	if head > cursor {
		lag = head - cursor
	}
	w.lag.Store(lag)
	if since := w.lasting(&w.behindSince, lag > w.opts.MaxLagBlocks, events.AlertListenerBehind); since > w.opts.MaxLagFor {
		w.raise(ctx, events.AlertListenerBehind, fmt.Sprintf(
			"the listener on %s is %d blocks behind the head (block %d, last scanned %d) for %s "+
				"(MAX_LAG_BLOCKS=%d, MAX_LAG_ALERT_AFTER=%s): deposits and payments are reported late. "+
				"Check its logs, its node and its database.",
			w.opts.Chain, lag, head, cursor, since.Round(time.Second), w.opts.MaxLagBlocks, w.opts.MaxLagFor))
	}
}

// lasting tracks a condition in *since (when it began, zero while it does
// not hold) and returns how long it has held; once it no longer holds, the
// alert of kind is cleared, so that its next start is a new incident.
func (w *Watchdog) lasting(since *time.Time, holds bool, kind string) time.Duration {
	w.mu.Lock()
	if !holds {
		*since = time.Time{}
		w.mu.Unlock()
		w.clear(kind)
		return 0
	}
	if since.IsZero() {
		*since = time.Now()
	}
	held := time.Since(*since)
	w.mu.Unlock()
	return held
}

// ReorgTooDeep records that the scan found a reorganisation deeper than the
// kept blocks, and raises the alert.
func (w *Watchdog) ReorgTooDeep(ctx context.Context, err error) {
	w.mu.Lock()
	if w.deep == nil {
		w.deepSince = time.Now()
	}
	w.deep = err
	w.mu.Unlock()
	w.raise(ctx, events.AlertReorgTooDeep, fmt.Sprintf(
		"the listener on %s stopped at block %d: %v. It cannot tell which reported transfers changed, "+
			"so it reports nothing new and retries. If its node is on a wrong branch or restored from an old "+
			"snapshot, fix the node: the listener resumes by itself. Otherwise see README, Reorganisations.",
		w.opts.Chain, w.parts.Cursor(), err))
}

// Scanned records a successful scan: a too-deep reorganisation is over.
func (w *Watchdog) Scanned() {
	w.mu.Lock()
	over := w.deep != nil
	w.deep = nil
	w.mu.Unlock()
	if over {
		w.clear(events.AlertReorgTooDeep)
		w.log.Warn().Msg("the chain matches the kept blocks again: scanning resumed")
	}
}

// Following is the /readyz check of the chain: it fails while this replica
// leads and its node does not answer, or the scan is more than MaxLagBlocks
// behind the head.
func (w *Watchdog) Following(context.Context) error {
	if !w.parts.Leading() {
		return nil
	}
	w.mu.Lock()
	headErr := w.headErr
	w.mu.Unlock()
	if headErr != nil {
		return fmt.Errorf("its node does not answer: %w", headErr)
	}
	if behind := w.Lag(); behind > w.opts.MaxLagBlocks {
		return fmt.Errorf("%d blocks behind the head (MAX_LAG_BLOCKS=%d)", behind, w.opts.MaxLagBlocks)
	}
	return nil
}

// Ready is the /readyz check: it fails while a too-deep reorganisation holds
// the scan.
func (w *Watchdog) Ready(context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.deep != nil {
		return fmt.Errorf("scanning held at block %d since %s: %v (alert %s; see README, Reorganisations)",
			w.parts.Cursor(), w.deepSince.UTC().Format(time.RFC3339), w.deep, events.AlertReorgTooDeep)
	}
	return nil
}

// raise publishes an alert of kind unless one was raised within RepeatAfter.
func (w *Watchdog) raise(ctx context.Context, kind, message string) {
	w.mu.Lock()
	last, ok := w.raised[kind]
	if ok && time.Since(last) < w.opts.RepeatAfter {
		w.mu.Unlock()
		return
	}
	w.raised[kind] = time.Now()
	w.mu.Unlock()
	w.log.Error().Str("alert", kind).Msg(message)
	a := events.Alert{Kind: kind, Key: w.opts.Chain, Chain: w.opts.Chain, Service: "chain-listener", Message: message, At: time.Now().Unix()}
	if err := w.parts.Raise(ctx, a); err != nil {
		w.log.Error().Err(err).Str("alert", kind).Msg("raise alert")
		w.mu.Lock()
		delete(w.raised, kind) // try again at the next look
		w.mu.Unlock()
	}
}

// clear forgets that an alert of kind was raised: its condition is over, and
// the next time it starts is a new incident, alerted at once.
func (w *Watchdog) clear(kind string) {
	w.mu.Lock()
	delete(w.raised, kind)
	w.mu.Unlock()
}
