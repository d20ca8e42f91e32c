package broker

import (
	"fmt"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Exchange is an exchange the suite declares (durable).
type Exchange struct {
	Name string
	// Kind is the exchange type; empty means "topic".
	Kind string
}

// Binding routes messages published to Exchange with a matching Key into a queue.
type Binding struct {
	Exchange string
	Key      string
}

// Queue is a durable queue the suite declares, with its bindings.
type Queue struct {
	Name     string
	Bindings []Binding
}

// Topology is everything a client declares on every (re)connect. The
// dead-letter queue from Config.DeadQueue is always declared in addition.
type Topology struct {
	Exchanges []Exchange
	Queues    []Queue
}

// declare creates the exchanges, queues and bindings. Every declaration is
// idempotent as long as the existing entity has the same properties, so it is
// safe to run on every reconnect and from several services.
func declare(ch *amqp.Channel, cfg Config, topo Topology) error {
	for _, ex := range topo.Exchanges {
		kind := ex.Kind
		if kind == "" {
			kind = amqp.ExchangeTopic
		}
		if err := ch.ExchangeDeclare(ex.Name, kind, true, false, false, false, nil); err != nil {
			return fmt.Errorf("declare exchange %s: %w", ex.Name, err)
		}
	}
	args := amqp.Table{"x-queue-type": cfg.QueueType}
	queues := append([]Queue{{Name: cfg.DeadQueue}}, topo.Queues...)
	for _, q := range queues {
		if _, err := ch.QueueDeclare(q.Name, true, false, false, false, args); err != nil {
			return fmt.Errorf("declare queue %s: %w", q.Name, err)
		}
		for _, b := range q.Bindings {
			if err := ch.QueueBind(q.Name, b.Key, b.Exchange, false, nil); err != nil {
				return fmt.Errorf("bind queue %s to %s with key %s: %w", q.Name, b.Exchange, b.Key, err)
			}
		}
	}
	return nil
}
