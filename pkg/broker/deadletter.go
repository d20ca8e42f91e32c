package broker

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Headers added to a dead-lettered message. HeaderAttempts and the original
// exchange and routing key are also carried by a message the consumer
// republishes for another attempt.
const (
	HeaderDeadReason         = "x-dead-reason"
	HeaderDeadCode           = "x-dead-code"
	HeaderOriginalQueue      = "x-original-queue"
	HeaderOriginalExchange   = "x-original-exchange"
	HeaderOriginalRoutingKey = "x-original-routing-key"
	HeaderDeadAt             = "x-dead-at"
	// HeaderAttempts is how many times the handlers failed on the message.
	HeaderAttempts = "x-attempts"
)

// Dead-letter codes, in HeaderDeadCode: stable, for machines to branch on
// (HeaderDeadReason is for people).
const (
	// DeadCodeTooLarge: the body is over Config.MaxMessageBytes; it was
	// never handed to a handler.
	DeadCodeTooLarge = "too_large"
	// DeadCodePoison: the handler said the message can never be processed
	// (Poison).
	DeadCodePoison = "poison"
	// DeadCodeRetriesExhausted: the handler failed Config.MaxAttempts times.
	DeadCodeRetriesExhausted = "retries_exhausted"
)

// DeadLetter describes a message a consumer moved to the dead-letter queue,
// as handed to the hook set with Client.OnDeadLetter.
type DeadLetter struct {
	Queue     string
	Code      string
	Reason    string
	Attempts  int
	MessageID string
}

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
func (c *Client) deadLetter(ctx context.Context, queue string, d amqp.Delivery, dl DeadLetter) error {
	headers := make(amqp.Table, len(d.Headers)+7)
	maps.Copy(headers, d.Headers)
	exchange, key := origin(d)
	headers[HeaderDeadReason] = dl.Reason
	headers[HeaderDeadCode] = dl.Code
	headers[HeaderAttempts] = int64(dl.Attempts)
	headers[HeaderOriginalQueue] = queue
	headers[HeaderOriginalExchange] = exchange
	headers[HeaderOriginalRoutingKey] = key
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
