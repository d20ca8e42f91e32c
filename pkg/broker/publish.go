package broker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/rs/zerolog"
)

var (
	// ErrUnroutable means the broker returned a mandatory message because no
	// queue is bound for its exchange and routing key.
	ErrUnroutable = errors.New("message unroutable: no queue bound for its routing key")
	// ErrNacked means the broker refused to take responsibility for a message.
	ErrNacked = errors.New("message nacked by broker")
)

const (
	publishRetryMin = 50 * time.Millisecond
	publishRetryMax = 2 * time.Second
	// A channel exception (unknown exchange, access refused...) is most likely
	// caused by the message itself, but it may also have hit a concurrent
	// publish on the same channel: retry a few times, then give up.
	maxChannelExceptions = 3
	confirmBuffer        = 256
	returnBuffer         = 64
)

// Message is what Publish sends.
type Message struct {
	Body []byte
	// MessageID is optional; consumers may use it to dedupe.
	MessageID string
	// Headers is optional.
	Headers amqp.Table
	// ContentType defaults to "application/json".
	ContentType string
}

// Publish sends msg as a persistent, mandatory message and returns nil only
// once the broker has confirmed it. An unroutable message (ErrUnroutable) or a
// broker nack (ErrNacked) is an error. While the connection is down it waits
// for the reconnect and publishes again, until ctx is done; a message whose
// confirm was lost with the connection may therefore be delivered twice.
func (c *Client) Publish(ctx context.Context, exchange, key string, msg Message) error {
	pub, err := msg.publishing()
	if err != nil {
		err = fmt.Errorf("publish to exchange %q key %q: %w", exchange, key, err)
		c.metrics.Load().publishedOne(exchange, err)
		return err
	}
	return c.publish(ctx, exchange, key, pub)
}

// publish is Publish of a message whose AMQP properties are already set.
func (c *Client) publish(ctx context.Context, exchange, key string, pub amqp.Publishing) (err error) {
	defer func() { c.metrics.Load().publishedOne(exchange, err) }()
	var retry retryPolicy
	for {
		err := c.publishOnce(ctx, exchange, key, pub)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || !retry.again(err) {
			return fmt.Errorf("publish to exchange %q key %q: %w", exchange, key, err)
		}
		c.log.Debug().Err(err).Str("exchange", exchange).Str("routing_key", key).Msg("publish failed; retrying")
		if !retry.wait(ctx) {
			return fmt.Errorf("publish to exchange %q key %q: %w (last error: %w)", exchange, key, ctx.Err(), err)
		}
	}
}

// Routed is a message with its destination, for PublishBatch.
type Routed struct {
	Exchange, Key string
	Message
}

// PublishBatch publishes msgs in their order on one channel, keeping them all
// in flight at once instead of waiting for each confirm in turn, and returns
// one error per message: nil once the broker confirmed it. Like Publish it
// sends again what failed because the connection or channel was lost, until
// ctx is done; those messages may then reach the queue after later ones of the
// batch, and twice if a confirm was lost.
func (c *Client) PublishBatch(ctx context.Context, msgs []Routed) []error {
	return c.SendBatch(ctx, msgs)()
}

// SendBatch is PublishBatch in two steps: it returns once every message has
// been handed to the client's publishing channel, in order, and wait then
// blocks until each one's outcome is known. Messages sent after SendBatch
// returns follow these on the channel, so a caller can send its next batch
// while this one waits for its confirms and still keep the two in order
// (except for messages sent again after a lost connection, as with
// PublishBatch).
func (c *Client) SendBatch(ctx context.Context, msgs []Routed) (wait func() []error) {
	errs := make([]error, len(msgs))
	pubs := make([]amqp.Publishing, len(msgs))
	todo := make([]int, 0, len(msgs))
	for i, m := range msgs {
		pub, err := m.publishing()
		if err != nil {
			errs[i] = err
			continue
		}
		pubs[i] = pub
		todo = append(todo, i)
	}
	sent, sentIdx, failed := c.sendBatch(ctx, msgs, pubs, todo, errs)
	return func() []error {
		failed = append(failed, awaitBatch(ctx, sent, sentIdx, errs)...)
		var retry retryPolicy
		for {
			todo = todo[:0]
			for _, i := range failed {
				if retry.again(errs[i]) {
					todo = append(todo, i)
				}
			}
			if len(todo) == 0 || ctx.Err() != nil || !retry.wait(ctx) {
				break
			}
			c.log.Debug().Int("messages", len(todo)).Msg("batch publish failed in part; retrying")
			sent, sentIdx, failed = c.sendBatch(ctx, msgs, pubs, todo, errs)
			failed = append(failed, awaitBatch(ctx, sent, sentIdx, errs)...)
		}
		m := c.metrics.Load()
		for i, err := range errs {
			if err != nil {
				errs[i] = fmt.Errorf("publish to exchange %q key %q: %w", msgs[i].Exchange, msgs[i].Key, err)
			}
			m.publishedOne(msgs[i].Exchange, err)
		}
		return errs
	}
}

// sendBatch sends the messages todo indexes without waiting for their
// confirms. It returns the pending confirms with the indexes they belong to,
// and the indexes that could not be sent, whose errors it records in errs.
func (c *Client) sendBatch(ctx context.Context, msgs []Routed, pubs []amqp.Publishing, todo []int, errs []error) (sent []*pending, sentIdx, failed []int) {
	p, err := c.publisher(ctx)
	if err != nil {
		for _, i := range todo {
			errs[i] = err
		}
		return nil, nil, slices.Clone(todo)
	}
	sent = make([]*pending, 0, len(todo))
	for k, i := range todo {
		e, err := p.send(ctx, msgs[i].Exchange, msgs[i].Key, pubs[i])
		if err != nil {
			// The channel is gone or ctx is done: the rest would fail alike.
			for _, j := range todo[k:] {
				errs[j] = err
			}
			return sent, slices.Clone(todo[:k]), slices.Clone(todo[k:])
		}
		sent = append(sent, e)
	}
	return sent, slices.Clone(todo), nil
}

// awaitBatch waits for the confirms of sent (whose message indexes are
// sentIdx), records each outcome in errs and returns the indexes that failed.
func awaitBatch(ctx context.Context, sent []*pending, sentIdx []int, errs []error) (failed []int) {
	for k, e := range sent {
		i := sentIdx[k]
		errs[i] = e.wait(ctx)
		if errs[i] != nil {
			failed = append(failed, i)
		}
	}
	return failed
}

// publishing turns m into the persistent AMQP message Publish sends.
func (m Message) publishing() (amqp.Publishing, error) {
	if err := m.Headers.Validate(); err != nil {
		return amqp.Publishing{}, fmt.Errorf("headers: %w", err)
	}
	contentType := m.ContentType
	if contentType == "" {
		contentType = "application/json"
	}
	return amqp.Publishing{
		Headers:      m.Headers,
		ContentType:  contentType,
		DeliveryMode: amqp.Persistent,
		MessageId:    m.MessageID,
		Timestamp:    time.Now().UTC(),
		Body:         m.Body,
	}, nil
}

// retryPolicy decides whether a failed publish is tried again and how long
// to wait before it.
type retryPolicy struct {
	backoff    time.Duration
	exceptions int
}

// again reports whether err is worth another attempt: a lost connection or
// channel is, an answer about the message itself is not.
func (r *retryPolicy) again(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, ErrClosed) || errors.Is(err, ErrUnroutable) || errors.Is(err, ErrNacked) {
		return false
	}
	if isChannelException(err) {
		r.exceptions++
		if r.exceptions >= maxChannelExceptions {
			return false
		}
	}
	return true
}

// wait sleeps the next backoff step; false means ctx ended first.
func (r *retryPolicy) wait(ctx context.Context) bool {
	if r.backoff == 0 {
		r.backoff = publishRetryMin
	}
	ok := sleep(ctx, jitter(r.backoff))
	r.backoff = min(r.backoff*2, publishRetryMax)
	return ok
}

func (c *Client) publishOnce(ctx context.Context, exchange, key string, pub amqp.Publishing) error {
	p, err := c.publisher(ctx)
	if err != nil {
		return err
	}
	return p.publish(ctx, exchange, key, pub)
}

// publisher returns the live publishing channel, opening one on the current
// connection when there is none.
func (c *Client) publisher(ctx context.Context) (*publisher, error) {
	select {
	case c.pubSlot <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.life.Done():
		return nil, ErrClosed
	}
	defer func() { <-c.pubSlot }()
	if p := c.pub; p != nil && p.alive() {
		return p, nil
	}
	sess, err := c.session(ctx)
	if err != nil {
		return nil, err
	}
	p, err := openPublisher(sess, c.log)
	if err != nil {
		c.forceReconnect(sess, err)
		return nil, err
	}
	c.pub = p
	return p, nil
}

// pending is one published message waiting for its confirm.
type pending struct {
	exchange, key, messageID string
	body                     []byte
	returned                 bool // only touched by the dispatcher
	result                   chan error
}

// publisher is a channel in confirm mode shared by concurrent publishers.
// basic.publish is serialized (so delivery tags are known in advance), but
// the wait for the confirm is not: many messages can be in flight at once.
type publisher struct {
	ch  *amqp.Channel
	log zerolog.Logger

	publishMu sync.Mutex // held only around basic.publish
	nextTag   uint64     // guarded by publishMu

	mu      sync.Mutex // guards pending, closed, closeErr
	pending map[uint64]*pending
	closed  bool
	dead    chan struct{}
	reason  error
}

func openPublisher(sess *session, log zerolog.Logger) (*publisher, error) {
	ch, err := sess.conn.Channel()
	if err != nil {
		return nil, fmt.Errorf("open publish channel: %w", err)
	}
	if err := ch.Confirm(false); err != nil {
		_ = ch.Close()
		return nil, fmt.Errorf("enable publisher confirms: %w", err)
	}
	p := &publisher{
		ch:      ch,
		log:     log,
		nextTag: 1,
		pending: make(map[uint64]*pending),
		dead:    make(chan struct{}),
	}
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, confirmBuffer))
	returns := ch.NotifyReturn(make(chan amqp.Return, returnBuffer))
	closes := ch.NotifyClose(make(chan *amqp.Error, 1))
	go p.dispatch(confirms, returns, closes)
	return p, nil
}

func (p *publisher) alive() bool {
	select {
	case <-p.dead:
		return false
	default:
		return true
	}
}

// publish sends one message and waits for its confirm.
func (p *publisher) publish(ctx context.Context, exchange, key string, pub amqp.Publishing) error {
	e, err := p.send(ctx, exchange, key, pub)
	if err != nil {
		return err
	}
	return e.wait(ctx)
}

// send publishes one message and returns its pending confirm without waiting
// for it, so a caller can keep many messages in flight in publish order.
func (p *publisher) send(ctx context.Context, exchange, key string, pub amqp.Publishing) (*pending, error) {
	e := &pending{exchange: exchange, key: key, messageID: pub.MessageId, body: pub.Body, result: make(chan error, 1)}

	p.publishMu.Lock()
	tag := p.nextTag
	// Registered before publishing: the confirm may arrive before
	// PublishWithDeferredConfirmWithContext returns.
	p.mu.Lock()
	if p.closed {
		reason := p.reason
		p.mu.Unlock()
		p.publishMu.Unlock()
		return nil, reason
	}
	p.pending[tag] = e
	p.mu.Unlock()
	dc, err := p.ch.PublishWithDeferredConfirmWithContext(ctx, exchange, key, true, false, pub)
	if err != nil {
		p.mu.Lock()
		delete(p.pending, tag)
		p.mu.Unlock()
		p.publishMu.Unlock()
		return nil, err
	}
	p.nextTag++
	p.publishMu.Unlock()

	if dc == nil || dc.DeliveryTag != tag {
		// Cannot happen while every publish on this channel goes through
		// publishMu; if it does, confirms can no longer be matched, so drop
		// the channel and let every waiter publish again.
		p.log.Error().Uint64("expected_tag", tag).Msg("publisher confirm bookkeeping out of step; reopening channel")
		_ = p.ch.Close()
	}
	return e, nil
}

// wait returns the outcome of the publish once its confirm (or the loss of
// the channel) has arrived.
func (e *pending) wait(ctx context.Context) error {
	select {
	case err := <-e.result:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// dispatch resolves pending publishes from the channel's confirms and
// returns. The library delivers a basic.return to its listener before it
// processes the confirm of the same message, and confirms reach the listener
// in delivery-tag order; so draining returns before handling each confirm
// means a returned message is always known to be returned when its confirm
// is handled.
func (p *publisher) dispatch(confirms <-chan amqp.Confirmation, returns <-chan amqp.Return, closes <-chan *amqp.Error) {
	for {
		select {
		case r, ok := <-returns:
			if !ok {
				returns = nil
				continue
			}
			p.markReturned(r)
		case cf, ok := <-confirms:
			returns = p.drainReturns(returns)
			if !ok {
				p.fail(closeReason(closes))
				return
			}
			p.resolve(cf)
		}
	}
}

func (p *publisher) drainReturns(returns <-chan amqp.Return) <-chan amqp.Return {
	for {
		select {
		case r, ok := <-returns:
			if !ok {
				return nil
			}
			p.markReturned(r)
		default:
			return returns
		}
	}
}

// markReturned flags the oldest unconfirmed publish that matches r. Returns
// carry no delivery tag; matching on exchange, key, message id and body is
// exact except between identical messages, which route identically anyway.
func (p *publisher) markReturned(r amqp.Return) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var match *pending
	var matchTag uint64
	for tag, e := range p.pending {
		if e.returned || e.exchange != r.Exchange || e.key != r.RoutingKey || e.messageID != r.MessageId {
			continue
		}
		if (match == nil || tag < matchTag) && bytes.Equal(e.body, r.Body) {
			match, matchTag = e, tag
		}
	}
	if match == nil {
		p.log.Warn().Str("exchange", r.Exchange).Str("routing_key", r.RoutingKey).Msg("returned message matches no pending publish")
		return
	}
	match.returned = true
}

func (p *publisher) resolve(cf amqp.Confirmation) {
	p.mu.Lock()
	e := p.pending[cf.DeliveryTag]
	delete(p.pending, cf.DeliveryTag)
	p.mu.Unlock()
	if e == nil {
		return
	}
	switch {
	case e.returned:
		e.result <- ErrUnroutable
	case !cf.Ack:
		e.result <- ErrNacked
	default:
		e.result <- nil
	}
}

// fail ends every pending publish when the channel is gone: their confirms
// will never come, so the callers publish again on a new channel.
func (p *publisher) fail(reason error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	p.reason = fmt.Errorf("publish channel closed: %w", reason)
	for tag, e := range p.pending {
		e.result <- p.reason
		delete(p.pending, tag)
	}
	close(p.dead)
}

// closeReason is the error a channel closed with, or amqp.ErrClosed for a
// clean close.
func closeReason(closes <-chan *amqp.Error) error {
	select {
	case e, ok := <-closes:
		if ok && e != nil {
			return e
		}
	default:
	}
	return amqp.ErrClosed
}

// isChannelException reports whether err is a soft error that closed only a
// channel, rather than the connection.
func isChannelException(err error) bool {
	var ae *amqp.Error
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.Code {
	case amqp.ContentTooLarge, amqp.NoRoute, amqp.NoConsumers, amqp.AccessRefused,
		amqp.NotFound, amqp.ResourceLocked, amqp.PreconditionFailed:
		return true
	}
	return false
}
