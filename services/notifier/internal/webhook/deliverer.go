package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"paysuite/pkg/service"
	"paysuite/services/notifier/internal/store"
)

// maxResponseBody is how much of a response is read (and discarded) so the
// connection can be reused.
const maxResponseBody = 64 << 10

// Deliverer sends due deliveries with a pool of workers. Each delivery is
// leased in the database before it is sent, so replicas never send the same
// attempt twice; a slow endpoint holds one worker for at most Timeout, and at
// most HostLimit workers per host, so it cannot hold up the others.
type Deliverer struct {
	Store  *store.Store
	Client *http.Client
	// Secrets sign every webhook, the current one first; during a rotation
	// the previous one too (see Signature).
	Secrets [][]byte
	// Schedule is the delay after each failed attempt; when it is exhausted the
	// delivery is failed, for an operator to redeliver.
	Schedule     []time.Duration
	Timeout      time.Duration
	Workers      int
	HostLimit    int
	PollInterval time.Duration
	// Owner names this replica in leases and attempt records.
	Owner string
	Log   zerolog.Logger
	Now   func() time.Time
	// Metrics, if set, counts attempts by outcome.
	Metrics *Metrics

	kick service.Wake
}

// Kick wakes the dispatcher after new deliveries were recorded.
func (d *Deliverer) Kick() { d.kick.Notify() }

// readyDepth is how many rounds of attempts the dispatcher holds claimed and
// ready besides those in flight: per host, up to readyDepth times HostLimit.
const readyDepth = 1

// lease is how long a claimed delivery stays reserved: longer than it can
// wait in the ready buffer (for readyDepth attempts to its host to end, and
// for a free worker) and then take, so the lease only lapses when the
// replica died.
func (d *Deliverer) lease() time.Duration { return (readyDepth+2)*d.Timeout + 30*time.Second }

// Run dispatches deliveries until ctx is cancelled, then lets the attempts in
// flight finish (each bounded by Timeout) and records them.
//
// Besides the deliveries in flight, Run holds up to readyDepth times as many
// claimed and ready to send (at most readyDepth times HostLimit more per
// host): when an attempt ends, the next one to that host starts at once
// instead of after a claim, and claims are fewer and larger.
func (d *Deliverer) Run(ctx context.Context) error {
	jobs := make(chan store.Delivery)
	results := make(chan store.Finished, d.Workers)
	done := make(chan ended, d.Workers)
	var wg, recording sync.WaitGroup
	recording.Go(func() { d.record(context.WithoutCancel(ctx), results) })
	defer recording.Wait()
	defer close(results)
	for range d.Workers {
		wg.Go(func() {
			for job := range jobs {
				f := d.attempt(context.WithoutCancel(ctx), job)
				if f.Result.State == store.StateGone {
					// Recorded before the host's turn is given back, so that
					// no later claim sends to the endpoint again.
					d.finish(context.WithoutCancel(ctx), f)
					done <- ended{host: job.Host, goneURL: job.URL}
					continue
				}
				// Otherwise the host has one request less in flight as soon
				// as the attempt is over: the next claim need not wait for
				// the record, and cannot take this delivery again while its
				// lease holds.
				done <- ended{host: job.Host}
				results <- f
			}
		})
	}
	defer wg.Wait()
	defer close(jobs)

	ticker := time.NewTicker(d.PollInterval)
	defer ticker.Stop()
	q := &dispatch{jobs: jobs, workers: d.Workers, hostLimit: d.HostLimit, sending: map[string]int{}, held: map[string]int{}}
	for {
		capacity := (readyDepth + 1) * d.Workers
		for room := capacity - q.inFlight - len(q.ready); room > 0 && ctx.Err() == nil; room = capacity - q.inFlight - len(q.ready) {
			claimed, err := d.Store.Claim(ctx, d.Owner, room, q.held, (readyDepth+1)*d.HostLimit, d.lease())
			if err != nil {
				if ctx.Err() == nil {
					d.Log.Warn().Err(err).Msg("claim deliveries")
				}
				break
			}
			q.add(claimed)
			q.send()
			if len(claimed) < room {
				break // nothing more is due, or only for hosts at their limit
			}
		}
		select {
		case <-ctx.Done():
			// What was claimed and not sent is due again at once, for this
			// replica's successor or another one.
			if err := d.Store.Release(context.WithoutCancel(ctx), d.Owner, q.ready); err != nil {
				d.Log.Warn().Err(err).Int("deliveries", len(q.ready)).Msg("release claimed deliveries; they are due when their lease ends")
			}
			for q.inFlight > 0 {
				q.ended(<-done)
			}
			return nil
		case e := <-done:
			q.ended(e)
		drain:
			for {
				select {
				case e := <-done:
					q.ended(e)
				default:
					break drain
				}
			}
			q.send()
		case <-ticker.C:
		case <-d.kick.C():
		}
	}
}

// dispatch is the dispatcher's view of the claimed deliveries.
type dispatch struct {
	jobs               chan<- store.Delivery
	workers, hostLimit int
	ready              []store.Delivery // claimed, not sent yet, oldest claim first
	inFlight           int
	sending            map[string]int // attempts in flight per host
	held               map[string]int // in flight and ready per host
}

func (q *dispatch) add(claimed []store.Delivery) {
	for _, job := range claimed {
		q.held[job.Host]++
		q.ready = append(q.ready, job)
	}
}

// send hands the ready deliveries to free workers, at most hostLimit per host
// at a time. A free worker is waiting: there are as many as there may be
// attempts in flight.
func (q *dispatch) send() {
	kept := q.ready[:0]
	for _, job := range q.ready {
		if q.inFlight >= q.workers || q.sending[job.Host] >= q.hostLimit {
			kept = append(kept, job)
			continue
		}
		q.inFlight++
		q.sending[job.Host]++
		q.jobs <- job
	}
	clear(q.ready[len(kept):])
	q.ready = kept
}

// ended is an attempt that is over.
type ended struct {
	host string
	// goneURL is the endpoint when it answered 410 Gone: its other
	// deliveries were retired with the attempt's record.
	goneURL string
}

// ended counts an attempt as over, and drops the ready deliveries to an
// endpoint that is gone.
func (q *dispatch) ended(e ended) {
	q.inFlight--
	if q.sending[e.host]--; q.sending[e.host] <= 0 {
		delete(q.sending, e.host)
	}
	q.unhold(e.host)
	if e.goneURL == "" {
		return
	}
	kept := q.ready[:0]
	for _, job := range q.ready {
		if job.URL == e.goneURL {
			q.unhold(job.Host)
			continue
		}
		kept = append(kept, job)
	}
	clear(q.ready[len(kept):])
	q.ready = kept
}

func (q *dispatch) unhold(host string) {
	if q.held[host]--; q.held[host] <= 0 {
		delete(q.held, host)
	}
}

// record writes the attempts the workers made, as many at a time as have
// finished: one transaction for several attempts instead of one each.
func (d *Deliverer) record(ctx context.Context, results <-chan store.Finished) {
	batch := make([]store.Finished, 0, d.Workers)
	for f := range results {
		batch = append(batch[:0], f)
	gather:
		for len(batch) < cap(batch) {
			select {
			case f, ok := <-results:
				if !ok {
					break gather
				}
				batch = append(batch, f)
			default:
				break gather
			}
		}
		err := d.Store.FinishBatch(ctx, d.Owner, batch)
		if err == nil {
			continue
		}
		d.Log.Warn().Err(err).Int("attempts", len(batch)).Msg("record webhook attempts; recording them one by one")
		for _, f := range batch {
			d.finish(ctx, f)
		}
	}
}

// finish records one attempt.
func (d *Deliverer) finish(ctx context.Context, f store.Finished) {
	if err := d.Store.Finish(ctx, f.Delivery, d.Owner, f.Result); err != nil {
		// The lease lapses and the attempt is made again: at-least-once.
		d.Log.Error().Err(err).Uint64("delivery_id", f.Delivery.ID).Str("webhook_id", f.Delivery.WebhookID).
			Int("attempt", f.Delivery.Attempts).Msg("record webhook attempt")
	}
}

// attempt sends one delivery and returns the outcome to record.
func (d *Deliverer) attempt(ctx context.Context, job store.Delivery) store.Finished {
	log := d.Log.With().Uint64("delivery_id", job.ID).Str("webhook_id", job.WebhookID).
		Str("request_id", job.RequestID).Int("attempt", job.Attempts).Logger()
	started := time.Now()
	code, err := d.post(ctx, job)
	a := store.Attempt{Attempt: job.Attempts, Worker: d.Owner, StartedAt: started.UTC(),
		DurationMS: time.Since(started).Milliseconds()}
	if code != 0 {
		a.StatusCode = &code
	}
	if err != nil {
		msg := err.Error()
		a.Error = &msg
	}
	res := store.Result{Attempt: a}
	switch {
	case err == nil && code >= 200 && code < 300:
		res.State = store.StateDelivered
		d.Metrics.attempt(OutcomeDelivered)
		log.Info().Int("status_code", code).Msg("webhook delivered")
	case err == nil && code == http.StatusGone:
		res.State = store.StateGone
		d.Metrics.attempt(OutcomeGone)
		log.Warn().Msg("endpoint answered 410 Gone; no more deliveries to it")
	case errors.Is(err, ErrDestinationRefused):
		res.State = store.StateFailed
		d.Metrics.attempt(OutcomeRefused)
		log.Warn().Err(err).Msg("webhook destination refused")
	case job.RoundAttempts > len(d.Schedule):
		res.State = store.StateFailed
		d.Metrics.attempt(OutcomeFailed)
		log.Warn().Err(err).Int("status_code", code).Msg("webhook failed; retries exhausted")
	default:
		res.State, res.RetryIn = store.StatePending, jitter(d.Schedule[job.RoundAttempts-1])
		d.Metrics.attempt(OutcomeFailed)
		log.Info().Err(err).Int("status_code", code).Dur("retry_in", res.RetryIn).Msg("webhook attempt failed")
	}
	return store.Finished{Delivery: job, Result: res}
}

// post sends the body with the Standard Webhooks headers and returns the
// response status.
func (d *Deliverer) post(ctx context.Context, job store.Delivery) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, d.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, job.URL, bytes.NewReader(job.Body))
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	ts := now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "paysuite-notifier")
	req.Header.Set(HeaderID, job.WebhookID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Signature(d.Secrets, job.WebhookID, ts, job.Body))
	resp, err := d.Client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is recorded with the delivery already
		}
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBody))
	return resp.StatusCode, nil
}

// jitter spreads d by ±20% so retries of many deliveries do not come in waves.
func jitter(d time.Duration) time.Duration {
	spread := int64(d) / 5
	if spread <= 0 {
		return d
	}
	return d - time.Duration(spread) + time.Duration(rand.Int64N(2*spread))
}
