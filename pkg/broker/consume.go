package broker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/rs/zerolog"
)

const (
	consumeRetryMin = 100 * time.Millisecond
	consumeRetryMax = 5 * time.Second
)

// Delivery is one received message, as handed to a Handler.
type Delivery struct {
	Body    []byte
	Headers amqp.Table
	// RoutingKey and Exchange are those the message was first published
	// with, also when a consumer republished it for another attempt.
	RoutingKey  string
	Exchange    string
	MessageID   string
	ContentType string
	// Redelivered is set when the message was delivered before (a handler
	// failed, or a consumer went away without acking it).
	Redelivered bool
	// Attempts is how many times handlers failed on the message before.
	Attempts int
}

// Handler processes one delivery. nil acks it; an error made with Poison
// dead-letters it; any other error (or a panic) makes the consumer try again
// after a backoff, up to Config.MaxAttempts times in all, and then
// dead-letters it.
type Handler func(ctx context.Context, d Delivery) error

// BatchHandler processes several deliveries at once, all or nothing (in one
// database transaction, say): nil acks them all; an error hands each of them
// to the Handler alone, which decides its fate.
type BatchHandler func(ctx context.Context, ds []Delivery) error

// Batching lets a consumer take the deliveries that are already waiting, up to
// Max, in one BatchHandler call: under load one transaction then carries many
// messages, while a lone message is handled at once, never held back to fill
// a batch.
type Batching struct {
	Max     int
	Handler BatchHandler
}

// Consume runs handler on each delivery from queue, up to workers at a time,
// with manual acks and Config.Prefetch. It blocks until ctx is cancelled,
// resuming after every reconnect. On cancellation it stops taking deliveries,
// lets in-flight handlers finish (their context is not cancelled by ctx) and
// returns nil; deliveries not yet started go back to the queue. It returns an
// error if workers < 1, if the queue does not exist or is not accessible, or
// ErrClosed if the client is closed.
func (c *Client) Consume(ctx context.Context, queue string, workers int, handler Handler) error {
	return c.ConsumeBatches(ctx, queue, workers, handler, Batching{})
}

// ConsumeBatches is Consume with batching: each worker takes up to b.Max
// deliveries that are already waiting and passes them to b.Handler together;
// a single delivery, or every delivery of a failed batch, goes to handler.
// A zero Batching consumes one delivery at a time.
func (c *Client) ConsumeBatches(ctx context.Context, queue string, workers int, handler Handler, b Batching) error {
	if b.Max < 1 || b.Handler == nil {
		b = Batching{Max: 1}
	}
	if workers < 1 {
		return fmt.Errorf("consume %s: workers must be at least 1, got %d", queue, workers)
	}
	if handler == nil {
		return fmt.Errorf("consume %s: nil handler", queue)
	}
	log := c.log.With().Str("queue", queue).Logger()
	// Handlers outlive ctx so a shutdown does not abort a DB commit + ack.
	handlerCtx := context.WithoutCancel(ctx)
	backoff := consumeRetryMin
	for {
		sess, err := c.session(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("consume %s: %w", queue, err)
		}
		started, err := c.consumeSession(ctx, handlerCtx, sess, queue, workers, handler, b, log)
		if ctx.Err() != nil {
			return nil
		}
		var setup *consumeSetupError
		if errors.As(err, &setup) && isMissingQueue(setup.err) && !sess.conn.IsClosed() {
			return fmt.Errorf("consume %s: %w", queue, setup.err)
		}
		if started {
			backoff = consumeRetryMin
		}
		log.Warn().Err(err).Msg("consumer interrupted; resuming")
		if !sleep(ctx, jitter(backoff)) {
			return nil
		}
		backoff = min(backoff*2, consumeRetryMax)
	}
}

// consumeSetupError marks a failure to start consuming, as opposed to losing
// a consumer that was running.
type consumeSetupError struct{ err error }

func (e *consumeSetupError) Error() string { return "start consumer: " + e.err.Error() }
func (e *consumeSetupError) Unwrap() error { return e.err }

func isMissingQueue(err error) bool {
	var ae *amqp.Error
	return errors.As(err, &ae) && (ae.Code == amqp.NotFound || ae.Code == amqp.AccessRefused)
}

// consumeSession consumes on one channel of sess until ctx is cancelled or
// the channel is lost. started reports whether consuming began.
func (c *Client) consumeSession(ctx, handlerCtx context.Context, sess *session, queue string, workers int, handler Handler, b Batching, log zerolog.Logger) (started bool, err error) {
	ch, err := sess.conn.Channel()
	if err != nil {
		c.forceReconnect(sess, err)
		return false, &consumeSetupError{fmt.Errorf("open channel: %w", err)}
	}
	// Closing the channel returns every delivery that was not acked to the
	// queue, so it runs only after the workers are done.
	defer func() { _ = ch.Close() }()
	closes := ch.NotifyClose(make(chan *amqp.Error, 1))
	if err := ch.Qos(prefetch(c.cfg.Prefetch, workers, b), 0, false); err != nil {
		return false, &consumeSetupError{fmt.Errorf("set prefetch: %w", err)}
	}
	tag := consumerTag(queue)
	deliveries, err := ch.Consume(queue, tag, false, false, false, false, nil)
	if err != nil {
		return false, &consumeSetupError{err}
	}
	log.Info().Str("consumer_tag", tag).Int("workers", workers).Msg("consuming")

	jobs := make(chan []amqp.Delivery)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for batch := range jobs {
				// Deliveries handed over as the consumer stops are not started:
				// left unacked, they go back to the queue with the channel.
				if ctx.Err() != nil {
					continue
				}
				c.handleBatch(ctx, handlerCtx, queue, batch, handler, b.Handler, log)
			}
		})
	}
	defer wg.Wait()
	defer close(jobs)

	stop := func() {
		if err := ch.Cancel(tag, false); err != nil {
			log.Debug().Err(err).Msg("cancel consumer")
		}
		log.Info().Msg("consumer stopping; waiting for in-flight handlers")
	}
	// While every worker is busy, deliveries gather into the next batch (up
	// to b.Max); a free worker takes whatever has gathered at once.
	var next []amqp.Delivery
	for {
		in, out := deliveries, jobs
		if len(next) >= b.Max {
			in = nil
		}
		if len(next) == 0 {
			out = nil
		}
		select {
		case <-ctx.Done():
			// What gathered was never started: left unacked, it goes back to the queue.
			stop()
			return true, nil
		case d, ok := <-in:
			if !ok {
				return true, fmt.Errorf("delivery stream closed: %w", closeReason(closes))
			}
			if d.Redelivered {
				// The broker gives it again: a consumer (perhaps this one,
				// on a connection since lost) went away holding it.
				log.Debug().Str("message_id", d.MessageId).Msg("redelivered")
			}
			next = append(next, d)
		case out <- next:
			next = nil
		}
	}
}

// prefetch is the consumer's limit of unacked deliveries: the configured one,
// raised for a batching consumer so that every worker can hold a full batch.
// Under load each worker holds a batch until it is acked, so with a lower
// limit batches stay at about limit/workers, however large Max is.
func prefetch(configured, workers int, b Batching) int {
	if b.Max <= 1 {
		return configured
	}
	return min(max(configured, workers*b.Max), 65535)
}

// handleBatch runs the batch handler on several deliveries and acks them all,
// or, for a single delivery or when the batch handler fails, handles each one
// alone.
func (c *Client) handleBatch(ctx, handlerCtx context.Context, queue string, batch []amqp.Delivery, handler Handler, bh BatchHandler, log zerolog.Logger) {
	if slices.ContainsFunc(batch, c.oversized) {
		// Each delivery alone: handle dead-letters the oversized ones unread.
		bh = nil
	}
	if len(batch) > 1 && bh != nil {
		ds := make([]Delivery, len(batch))
		for i, d := range batch {
			ds[i] = toDelivery(d)
		}
		m := c.metrics.Load()
		began := time.Now()
		err := runBatchHandler(handlerCtx, bh, ds)
		m.observeHandler(queue, time.Since(began))
		if err == nil {
			for _, d := range batch {
				m.consumedOne(queue, OutcomeAck)
				// One ack per delivery: a multiple ack would also settle
				// deliveries other workers still hold.
				if err := d.Ack(false); err != nil {
					log.Warn().Err(err).Str("message_id", d.MessageId).Msg("ack failed; the broker will redeliver")
				}
			}
			return
		}
		log.Debug().Err(err).Int("deliveries", len(batch)).Msg("batch failed; handling its deliveries one by one")
	}
	for _, d := range batch {
		c.handle(ctx, handlerCtx, queue, d, handler, log)
	}
}

func toDelivery(d amqp.Delivery) Delivery {
	attempts, _ := attemptsOf(d.Headers)
	exchange, key := origin(d)
	return Delivery{
		Body:        d.Body,
		Headers:     d.Headers,
		RoutingKey:  key,
		Exchange:    exchange,
		MessageID:   d.MessageId,
		ContentType: d.ContentType,
		Redelivered: d.Redelivered || attempts > 0,
		Attempts:    attempts,
	}
}

// oversized tells a delivery whose body is over Config.MaxMessageBytes: it
// never reaches a handler.
func (c *Client) oversized(d amqp.Delivery) bool { return len(d.Body) > c.cfg.MaxMessageBytes }

// handle runs the handler on one delivery and settles it: ack on success,
// dead letter for an oversized or poison message or after the last attempt,
// otherwise another attempt later (retry).
func (c *Client) handle(ctx, handlerCtx context.Context, queue string, d amqp.Delivery, handler Handler, log zerolog.Logger) {
	log = log.With().Str("message_id", d.MessageId).Str("routing_key", d.RoutingKey).Logger()
	m := c.metrics.Load()
	attempts, _ := attemptsOf(d.Headers)
	if c.oversized(d) {
		c.settleDead(ctx, handlerCtx, queue, d, DeadLetter{Code: DeadCodeTooLarge, Attempts: attempts,
			Reason: fmt.Sprintf("too_large: message of %d bytes is larger than the %d-byte limit", len(d.Body), c.cfg.MaxMessageBytes)}, log)
		return
	}
	began := time.Now()
	err := runHandler(handlerCtx, handler, toDelivery(d))
	m.observeHandler(queue, time.Since(began))
	if err == nil {
		m.consumedOne(queue, OutcomeAck)
		if err := d.Ack(false); err != nil {
			log.Warn().Err(err).Msg("ack failed; the broker will redeliver")
		}
		return
	}
	attempts++
	if reason, ok := IsPoison(err); ok {
		c.settleDead(ctx, handlerCtx, queue, d, DeadLetter{Code: DeadCodePoison, Reason: reason, Attempts: attempts}, log)
		return
	}
	if attempts >= c.cfg.MaxAttempts {
		log.Error().Err(err).Int("attempts", attempts).Msg("handler failed on every attempt; dead-lettering")
		c.settleDead(ctx, handlerCtx, queue, d, DeadLetter{Code: DeadCodeRetriesExhausted, Reason: exhaustedReason(attempts, err), Attempts: attempts}, log)
		return
	}
	c.retry(ctx, handlerCtx, queue, d, attempts, err, log)
}

// settleDead dead-letters d and acks it, then tells the OnDeadLetter hook; if
// the dead letter cannot be published, d is requeued instead.
func (c *Client) settleDead(ctx, handlerCtx context.Context, queue string, d amqp.Delivery, dl DeadLetter, log zerolog.Logger) {
	m := c.metrics.Load()
	dl.Queue, dl.MessageID = queue, d.MessageId
	if err := c.deadLetter(handlerCtx, queue, d, dl); err != nil {
		log.Error().Err(err).Str("reason", dl.Reason).Msg("dead-lettering failed; requeueing")
		m.consumedOne(queue, OutcomeRequeue)
		c.requeue(ctx, d, log)
		return
	}
	m.consumedOne(queue, OutcomeDeadLetter)
	if err := d.Ack(false); err != nil {
		log.Warn().Err(err).Msg("ack after dead-lettering failed; the broker will redeliver")
	}
	log.Warn().Str("code", dl.Code).Str("reason", dl.Reason).Int("attempts", dl.Attempts).Str("dead_queue", c.cfg.DeadQueue).
		Msg("message dead-lettered")
	if fn := c.onDeadLetter.Load(); fn != nil {
		(*fn)(dl)
	}
}

// requeue returns d to its queue after Config.RequeueDelay (at once if the
// consumer is stopping), so a failing dead-letter publish is not retried in
// a hot loop.
func (c *Client) requeue(ctx context.Context, d amqp.Delivery, log zerolog.Logger) {
	sleep(ctx, c.cfg.RequeueDelay)
	if err := d.Nack(false, true); err != nil {
		log.Warn().Err(err).Msg("nack failed; the broker will redeliver")
	}
}

// runHandler calls handler, turning a panic into an error so one bad message
// cannot take the service down; the message is retried like after any failure.
func runHandler(ctx context.Context, handler Handler, d Delivery) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panic: %v", r)
		}
	}()
	return handler(ctx, d)
}

// runBatchHandler is runHandler for a batch; after a panic the deliveries
// are handled one by one like after any failure.
func runBatchHandler(ctx context.Context, bh BatchHandler, ds []Delivery) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("batch handler panic: %v", r)
		}
	}()
	return bh(ctx, ds)
}

// consumerTag names a consumer uniquely so operators can tell them apart.
func consumerTag(queue string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "paysuite." + queue + "." + hex.EncodeToString(b[:])
}
