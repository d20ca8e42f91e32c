package main

import (
	"context"
	"fmt"

	amqp "github.com/rabbitmq/amqp091-go"

	"paysuite/pkg/broker"
)

// openChannel connects to the broker at url and opens one channel on it, in confirm mode when
// confirm is set. Closing the connection closes the channel with it.
func openChannel(url string, confirm bool) (*amqp.Connection, *amqp.Channel, error) {
	conn, err := broker.DialAny(url, amqp.Config{})
	if err != nil {
		return nil, nil, fmt.Errorf("connect to RabbitMQ: %w", err)
	}
	ch, err := conn.Channel()
	if err != nil {
		_ = conn.Close()
		return nil, nil, fmt.Errorf("open channel: %w", err)
	}
	if confirm {
		if err := ch.Confirm(false); err != nil {
			_ = conn.Close()
			return nil, nil, fmt.Errorf("enable confirms: %w", err)
		}
	}
	return conn, ch, nil
}

// publishConfirmed publishes msg as mandatory on ch, which is in confirm mode, and waits until the
// broker confirms it.
func publishConfirmed(ctx context.Context, ch *amqp.Channel, exchange, key string, msg amqp.Publishing) error {
	conf, err := ch.PublishWithDeferredConfirmWithContext(ctx, exchange, key, true, false, msg)
	if err != nil {
		return err
	}
	if ok, err := conf.WaitContext(ctx); err != nil || !ok {
		return fmt.Errorf("the broker did not confirm it: %v", err)
	}
	return nil
}
