package broker

import (
	"context"
	"fmt"
	"maps"
	"math"
	"time"
	"unicode/utf8"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/rs/zerolog"
)

// maxReasonBytes bounds the last error quoted in a dead letter's reason, so
// an error that embeds a large payload cannot bloat the dead letter.
const maxReasonBytes = 512

// retry schedules another attempt at d, whose handler has now failed
// attempts times: after the backoff it republishes d to the end of queue with
// the count in HeaderAttempts, and acks it once the broker has confirmed the
// copy. Counting in a header rather than relying on the broker's redelivery
// flag makes the count survive a consumer restart and hold across replicas.
// If the copy cannot be published, d is requeued as it is: it is tried
// again, with the same count.
func (c *Client) retry(ctx, handlerCtx context.Context, queue string, d amqp.Delivery, attempts int, cause error, log zerolog.Logger) {
	wait := c.backoff(attempts)
	log.Warn().Err(cause).Int("attempt", attempts).Int("max_attempts", c.cfg.MaxAttempts).Dur("retry_in", wait).
		Msg("handler failed; retrying")
	c.metrics.Load().consumedOne(queue, OutcomeRequeue)
	// A stopping consumer republishes at once rather than hold the message.
	sleep(ctx, wait)
	if err := c.republish(handlerCtx, queue, d, attempts); err != nil {
		log.Warn().Err(err).Msg("republishing for another attempt failed; requeueing")
		if err := d.Nack(false, true); err != nil {
			log.Warn().Err(err).Msg("nack failed; the broker will redeliver")
		}
		return
	}
	if err := d.Ack(false); err != nil {
		log.Warn().Err(err).Msg("ack after republishing failed; the broker will redeliver the original too")
	}
}

// backoff is the wait before the attempt that follows the given number of
// failures: Config.RequeueDelay after the first, doubling up to
// Config.RetryBackoffMax, spread by jitter so replicas do not retry in step.
func (c *Client) backoff(failures int) time.Duration {
	d := c.cfg.RequeueDelay
	for i := 1; i < failures && d < c.cfg.RetryBackoffMax; i++ {
		d *= 2
	}
	return jitter(min(d, c.cfg.RetryBackoffMax))
}

// republish publishes a copy of d to queue through the default exchange, with
// every property and header of d (except user_id, which the broker checks
// against the publishing user), the failed attempts counted in
// HeaderAttempts and, from the first retry on, the exchange and routing key
// it was first published with, and waits for the broker's confirm.
func (c *Client) republish(ctx context.Context, queue string, d amqp.Delivery, attempts int) error {
	headers := make(amqp.Table, len(d.Headers)+3)
	maps.Copy(headers, d.Headers)
	exchange, key := origin(d)
	headers[HeaderOriginalExchange] = exchange
	headers[HeaderOriginalRoutingKey] = key
	headers[HeaderAttempts] = int64(attempts)
	ctx, cancel := context.WithTimeout(ctx, deadLetterTimeout)
	defer cancel()
	err := c.publish(ctx, "", queue, amqp.Publishing{
		Headers:         headers,
		ContentType:     d.ContentType,
		ContentEncoding: d.ContentEncoding,
		DeliveryMode:    d.DeliveryMode,
		Priority:        d.Priority,
		CorrelationId:   d.CorrelationId,
		ReplyTo:         d.ReplyTo,
		Expiration:      d.Expiration,
		MessageId:       d.MessageId,
		Timestamp:       d.Timestamp,
		Type:            d.Type,
		AppId:           d.AppId,
		Body:            d.Body,
	})
	if err != nil {
		return fmt.Errorf("republish to %s: %w", queue, err)
	}
	return nil
}

// attemptsOf reads HeaderAttempts: how many times handlers failed on the
// message before this delivery, and whether the header is there at all.
// Anything but a whole number counts as no failure.
func attemptsOf(h amqp.Table) (n int, ok bool) {
	v, ok := h[HeaderAttempts]
	if !ok {
		return 0, false
	}
	var n64 int64
	switch x := v.(type) {
	case int8:
		n64 = int64(x)
	case int16:
		n64 = int64(x)
	case int32:
		n64 = int64(x)
	case int64:
		n64 = x
	case int:
		n64 = int64(x)
	case uint8:
		n64 = int64(x)
	case uint16:
		n64 = int64(x)
	case uint32:
		n64 = int64(x)
	}
	return int(min(max(n64, 0), math.MaxInt32)), true
}

// origin is the exchange and routing key d was first published with: its own,
// or, for a copy republished for another attempt, those kept in its headers.
func origin(d amqp.Delivery) (exchange, key string) {
	exchange, key = d.Exchange, d.RoutingKey
	if _, retried := attemptsOf(d.Headers); !retried {
		return exchange, key
	}
	if v, ok := d.Headers[HeaderOriginalExchange].(string); ok {
		exchange = v
	}
	if v, ok := d.Headers[HeaderOriginalRoutingKey].(string); ok {
		key = v
	}
	return exchange, key
}

// exhaustedReason is the dead-letter reason of a message that failed every
// attempt, with the last error cut to maxReasonBytes.
func exhaustedReason(attempts int, last error) string {
	msg := last.Error()
	if len(msg) > maxReasonBytes {
		cut := maxReasonBytes
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return fmt.Sprintf("failed %d times; last error: %s", attempts, msg)
}
