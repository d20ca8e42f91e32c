package main

import (
	"crypto/rand"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"paysuite/pkg/broker/brokertest"
)

// TestFollowLeavesMessagesUnlessAck follows a queue of the real broker that
// holds one message: without --ack the message is still there afterwards,
// marked as delivered once (so follow did read it); with --ack it is gone.
func TestFollowLeavesMessagesUnlessAck(t *testing.T) {
	url := brokertest.Vhost(t, "payctl-follow-"+rand.Text())
	cases := []struct {
		name, queue string
		args        []string
		left        int
	}{
		{"without --ack", "pay.topup.return.queue", nil, 1},
		{"with --ack", "pay.order.return.queue", []string{"--ack"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, ch := brokertest.RawChannel(t, url, true)
			queue, body := c.queue, `{"request_id":"r-1","event":"registered","status":1}`
			if _, err := ch.QueueDeclare(queue, true, false, false, false, nil); err != nil {
				t.Fatal(err)
			}
			brokertest.PublishConfirmed(t, ch, "", queue,
				amqp.Publishing{ContentType: "application/json", DeliveryMode: amqp.Persistent, Body: []byte(body)})

			args := append([]string{queue, "-n", "1", "-t", "30s"}, c.args...)
			if err := follow(t.Context(), config{AMQPURL: url}, args); err != nil {
				t.Fatal(err)
			}

			deadline := time.Now().Add(10 * time.Second)
			for {
				q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
				if err != nil {
					t.Fatal(err)
				}
				if q.Messages == c.left {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d messages in the queue, want %d", q.Messages, c.left)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if c.left == 0 {
				return
			}
			d, ok, err := ch.Get(queue, true)
			if err != nil || !ok {
				t.Fatalf("get: %v %v", ok, err)
			}
			if string(d.Body) != body || !d.Redelivered {
				t.Fatalf("left %s (redelivered %t), want the message follow printed", d.Body, d.Redelivered)
			}
		})
	}
}
