package servicetest

import (
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"

	"paysuite/pkg/broker/brokertest"
)

// AMQP is a virtual host of the real broker reached with the plain AMQP
// client, as anyone holding the broker's credentials reaches it: the test
// publishes what it likes there, and looks into and empties its queues.
type AMQP struct {
	t    testing.TB
	conn *amqp.Connection
	ch   *amqp.Channel
}

// DialAMQP connects to the virtual host at amqpURL with a channel in
// confirm mode; both are closed when the test ends.
func DialAMQP(t testing.TB, amqpURL string) *AMQP {
	t.Helper()
	conn, ch := brokertest.RawChannel(t, amqpURL, true)
	return &AMQP{t: t, conn: conn, ch: ch}
}

// Publish sends body through exchange ("" is the default exchange, which
// routes to the queue named key) and waits for the broker's confirmation.
func (a *AMQP) Publish(exchange, key, messageID string, body []byte) {
	a.t.Helper()
	conf, err := a.ch.PublishWithDeferredConfirmWithContext(a.t.Context(), exchange, key, false, false,
		amqp.Publishing{ContentType: "application/json", DeliveryMode: amqp.Persistent, MessageId: messageID, Body: body})
	if err != nil {
		a.t.Fatal(err)
	}
	if ok, err := conf.WaitContext(a.t.Context()); err != nil || !ok {
		a.t.Fatalf("publish %s not confirmed: %v", messageID, err)
	}
}

// Inspect reads the state of queue on a channel of its own: the broker
// closes a channel whose passive declare names a queue not declared yet.
func (a *AMQP) Inspect(queue string) (amqp.Queue, error) {
	ch, err := a.conn.Channel()
	if err != nil {
		return amqp.Queue{}, err
	}
	defer ch.Close()
	return ch.QueueDeclarePassive(queue, true, false, false, false, nil)
}

// Take removes and returns the messages ready in queue.
func (a *AMQP) Take(queue string) []amqp.Delivery {
	a.t.Helper()
	var out []amqp.Delivery
	for {
		d, ok, err := a.ch.Get(queue, true)
		if err != nil {
			a.t.Fatal(err)
		}
		if !ok {
			return out
		}
		out = append(out, d)
	}
}

// WaitConsumers waits until every queue has a consumer: the service started
// consuming them.
func (a *AMQP) WaitConsumers(queues ...string) {
	a.t.Helper()
	for _, queue := range queues {
		Eventually(a.t, "a consumer on "+queue, func() bool {
			info, err := a.Inspect(queue)
			return err == nil && info.Consumers > 0
		})
	}
}
