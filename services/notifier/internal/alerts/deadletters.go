package alerts

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/rs/zerolog"

	"paysuite/pkg/broker"
	"paysuite/pkg/events"
)

// DeadLetterWatch alerts when the dead-letter queue holds messages. It looks
// with a passive declare, which reads the depth without consuming anything.
type DeadLetterWatch struct {
	// URL is the broker's address or, for a cluster, its comma-separated
	// addresses (tried in turn); it may hold a password and is never logged.
	URL   string
	Queue string
	// Vhost names the virtual host in the alert when it is not the public
	// one ("internal").
	Vhost    string
	Interval time.Duration
	Alerter  *Alerter
	Log      zerolog.Logger

	conn *amqp.Connection
}

// Run checks every Interval until ctx is cancelled.
func (w *DeadLetterWatch) Run(ctx context.Context) error {
	defer w.close()
	ticker := time.NewTicker(w.Interval)
	defer ticker.Stop()
	for {
		if err := w.Check(ctx); err != nil && ctx.Err() == nil {
			w.Log.Warn().Err(err).Str("queue", w.Queue).Msg("dead-letter queue check")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// Check raises a dead_letters alert when the queue is not empty.
func (w *DeadLetterWatch) Check(ctx context.Context) error {
	n, err := w.depth()
	if err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	name := w.Queue
	if w.Vhost != "" {
		name += " (" + w.Vhost + ")"
	}
	return w.Alerter.Raise(ctx, events.Alert{Kind: events.AlertDeadLetters, Key: name, Service: "notifier",
		Message: fmt.Sprintf("%d message(s) waiting in the dead-letter queue %s", n, name), At: time.Now().Unix()})
}

func (w *DeadLetterWatch) depth() (int, error) {
	if w.conn == nil || w.conn.IsClosed() {
		conn, err := broker.DialAny(w.URL, amqp.Config{Heartbeat: 10 * time.Second})
		if err != nil {
			return 0, fmt.Errorf("connect to the broker: %w", redact(err))
		}
		w.conn = conn
	}
	ch, err := w.conn.Channel()
	if err != nil {
		w.close()
		return 0, fmt.Errorf("open channel: %w", err)
	}
	defer ch.Close()
	q, err := ch.QueueDeclarePassive(w.Queue, true, false, false, false, nil)
	if err != nil {
		return 0, fmt.Errorf("inspect queue %s: %w", w.Queue, err)
	}
	return q.Messages, nil
}

func (w *DeadLetterWatch) close() {
	if w.conn != nil {
		_ = w.conn.Close()
		w.conn = nil
	}
}

// redact passes on the dial errors known not to quote the URL (which may hold
// a password) and hides the others.
func redact(err error) error {
	var ae *amqp.Error
	var ne *net.OpError
	if errors.As(err, &ae) || errors.As(err, &ne) {
		return err
	}
	return fmt.Errorf("dial failed (%T)", err)
}
