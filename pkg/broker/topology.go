package broker

import (
	"errors"
	"fmt"
	"maps"
	"strings"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/rs/zerolog"
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
//
// Every queue but the dead-letter queue routes what the broker itself
// dead-letters (a message a consumer rejects, or one over a quorum queue's
// delivery limit) to the dead-letter queue, so nothing is dropped silently.
// A queue declared by an older release without these arguments cannot be
// redeclared with them (PRECONDITION_FAILED): it is used as it is, with a
// warning, and the policy of scripts/broker-users.sh gives it the same
// routes. A queue of the other type is still an error.
func declare(conn *amqp.Connection, cfg Config, topo Topology, log zerolog.Logger) error {
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open channel for topology: %w", err)
	}
	defer func() {
		if ch != nil {
			_ = ch.Close()
		}
	}()
	for _, ex := range topo.Exchanges {
		kind := ex.Kind
		if kind == "" {
			kind = amqp.ExchangeTopic
		}
		if err := ch.ExchangeDeclare(ex.Name, kind, true, false, false, false, nil); err != nil {
			return fmt.Errorf("declare exchange %s: %w", ex.Name, err)
		}
	}
	queues := append([]Queue{{Name: cfg.DeadQueue}}, topo.Queues...)
	for _, q := range queues {
		if ch, err = declareQueue(conn, ch, cfg, q.Name, log); err != nil {
			return err
		}
		for _, b := range q.Bindings {
			if err := ch.QueueBind(q.Name, b.Key, b.Exchange, false, nil); err != nil {
				return fmt.Errorf("bind queue %s to %s with key %s: %w", q.Name, b.Exchange, b.Key, err)
			}
		}
	}
	return nil
}

// declareQueue declares queue on ch with queueArgs. A refusal closes the
// channel, so it returns the channel to go on with. Two refusals are expected
// and met with fewer arguments:
//   - the broker refuses the dead-letter route to a user who may not read the
//     queue (a service's own broker user reads only what it consumes): the
//     queue is declared without it, and the suite's policy
//     (scripts/broker-users.sh) gives it the same route;
//   - the queue exists with other arguments (an older release declared it):
//     it is declared with its type alone, or failing that only checked to
//     exist, with a warning.
//
// A queue of the other type is still an error.
func declareQueue(conn *amqp.Connection, ch *amqp.Channel, cfg Config, queue string, log zerolog.Logger) (*amqp.Channel, error) {
	full := queueArgs(cfg, queue)
	tries := []amqp.Table{full}
	if _, routed := full["x-dead-letter-exchange"]; routed {
		tries = append(tries, withoutDeadLetterRoute(full))
	}
	if len(tries[len(tries)-1]) > 1 {
		tries = append(tries, amqp.Table{"x-queue-type": cfg.QueueType})
	}
	tries = append(tries, nil) // nil: passive
	var refused error
	for _, args := range tries {
		var err error
		if args == nil {
			_, err = ch.QueueDeclarePassive(queue, true, false, false, false, nil)
		} else {
			_, err = ch.QueueDeclare(queue, true, false, false, false, args)
		}
		if err == nil {
			// Only a refusal of the full arguments says the queue lacks them;
			// after a refused route the queue may well hold its owner's.
			if inequivalent(refused) {
				log.Warn().Str("queue", queue).Str("broker_says", refusal(refused)).
					Msg("queue exists with other arguments than this release declares (no dead-letter route or delivery limit): " +
						"using it as it is; apply the broker policy of scripts/broker-users.sh so the broker never drops its messages")
			}
			return ch, nil
		}
		if !inequivalent(err) && !(accessRefused(err) && args != nil && args["x-dead-letter-exchange"] != nil) {
			return ch, fmt.Errorf("declare queue %s: %w", queue, err)
		}
		if refused == nil {
			refused = err
		}
		// The broker closed the channel over the refused declaration.
		_ = ch.Close()
		if ch, err = conn.Channel(); err != nil {
			return ch, fmt.Errorf("open channel for topology: %w", err)
		}
	}
	return ch, fmt.Errorf("declare queue %s: %w", queue, refused)
}

// withoutDeadLetterRoute is args without the dead-letter route.
func withoutDeadLetterRoute(args amqp.Table) amqp.Table {
	out := maps.Clone(args)
	delete(out, "x-dead-letter-exchange")
	delete(out, "x-dead-letter-routing-key")
	return out
}

// queueArgs are the arguments of queue: its type and, but for the dead-letter
// queue itself, the route of its dead letters to the dead-letter queue and,
// for a quorum queue, the delivery limit (without it RabbitMQ 4 drops a
// message after 20 deliveries).
func queueArgs(cfg Config, queue string) amqp.Table {
	args := amqp.Table{"x-queue-type": cfg.QueueType}
	if queue == cfg.DeadQueue {
		return args
	}
	args["x-dead-letter-exchange"] = ""
	args["x-dead-letter-routing-key"] = cfg.DeadQueue
	if cfg.QueueType == QueueTypeQuorum {
		args["x-delivery-limit"] = int64(QuorumDeliveryLimit)
	}
	return args
}

// inequivalent reports whether err refuses a queue declaration because the
// queue exists with other arguments, other than its type.
func inequivalent(err error) bool {
	var ae *amqp.Error
	return errors.As(err, &ae) && ae.Code == amqp.PreconditionFailed && !strings.Contains(ae.Reason, "x-queue-type")
}

// accessRefused reports whether err refuses a declaration for want of a
// permission. RabbitMQ lets only a user who may read a queue give it a
// dead-letter route; a service's own broker user reads only the queues it
// consumes, so the others get their route from the suite's policy
// (scripts/broker-users.sh) instead.
func accessRefused(err error) bool {
	var ae *amqp.Error
	return errors.As(err, &ae) && ae.Code == amqp.AccessRefused
}

// refusal is the broker's reason for refusing a declaration, for the log.
func refusal(err error) string {
	var ae *amqp.Error
	if errors.As(err, &ae) {
		return ae.Reason
	}
	return err.Error()
}
