package broker

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Headers added to a dead-lettered message.
const (
	HeaderDeadReason         = "x-dead-reason"
	HeaderOriginalQueue      = "x-original-queue"
	HeaderOriginalExchange   = "x-original-exchange"
	HeaderOriginalRoutingKey = "x-original-routing-key"
	HeaderDeadAt             = "x-dead-at"
)

// deadLetterTimeout bounds the dead-letter publish; if it expires the message
// is requeued rather than held by a stuck handler.
const deadLetterTimeout = 30 * time.Second

// ErrPoison matches, with errors.Is, every error made by Poison.
var ErrPoison = errors.New("poison message")

// PoisonError is a handler error saying the message can never be processed.
type PoisonError struct {
	Reason string
}

// Error describes the poison message.
func (e *PoisonError) Error() string { return "poison message: " + e.Reason }

// Is makes errors.Is(err, ErrPoison) true for every PoisonError.
func (e *PoisonError) Is(target error) bool { return target == ErrPoison }

// Poison returns an error that makes the consumer move the message to the
// dead-letter queue with reason, instead of retrying it. It may be wrapped.
func Poison(reason string) error { return &PoisonError{Reason: reason} }

// IsPoison reports whether err (or an error it wraps) came from Poison, and
// with which reason.
func IsPoison(err error) (reason string, ok bool) {
	var pe *PoisonError
	if errors.As(err, &pe) {
		return pe.Reason, true
	}
	return "", false
}

// deadLetter publishes the original body and headers, plus why and where
// from, to the dead-letter queue, and returns once the broker confirmed it.
func (c *Client) deadLetter(ctx context.Context, queue string, d amqp.Delivery, reason string) error {
	headers := make(amqp.Table, len(d.Headers)+5)
	maps.Copy(headers, d.Headers)
	headers[HeaderDeadReason] = reason
	headers[HeaderOriginalQueue] = queue
	headers[HeaderOriginalExchange] = d.Exchange
	headers[HeaderOriginalRoutingKey] = d.RoutingKey
	headers[HeaderDeadAt] = time.Now().UTC().Format(time.RFC3339)

	ctx, cancel := context.WithTimeout(ctx, deadLetterTimeout)
	defer cancel()
	// Through the default exchange, which routes straight to the queue by name.
	err := c.Publish(ctx, "", c.cfg.DeadQueue, Message{
		Body:        d.Body,
		MessageID:   d.MessageId,
		Headers:     headers,
		ContentType: d.ContentType,
	})
	if err != nil {
		return fmt.Errorf("dead-letter to %s: %w", c.cfg.DeadQueue, err)
	}
	return nil
}
