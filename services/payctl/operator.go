package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	amqp "github.com/rabbitmq/amqp091-go"
)

// notifierCommand runs an operator command of the notifier binary, which owns
// the delivery log: webhooks lists deliveries, webhook-attempts one delivery's
// attempts, redeliver schedules deliveries again.
func notifierCommand(sub string) func(context.Context, config, []string) error {
	return func(ctx context.Context, _ config, args []string) error {
		bin := os.Getenv("NOTIFIER_BIN")
		if bin == "" {
			bin = "notifier"
			if self, err := os.Executable(); err == nil {
				if sibling := filepath.Join(filepath.Dir(self), "notifier"); fileExists(sibling) {
					bin = sibling
				}
			}
		}
		cmd := exec.CommandContext(ctx, bin, append([]string{sub}, args...)...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("notifier %s: %w", sub, err)
		}
		return nil
	}
}

// pending lists the withdrawals or payments without a final answer yet, by
// running the pending command of the withdraw or pay binary, which owns them.
func pending(ctx context.Context, _ config, args []string) error {
	if len(args) != 1 || (args[0] != "withdraw" && args[0] != "pay") {
		return errors.New("usage: payctl pending withdraw|pay")
	}
	svc := args[0]
	bin := os.Getenv(strings.ToUpper(svc) + "_BIN")
	if bin == "" {
		bin = svc
		if self, err := os.Executable(); err == nil {
			if sibling := filepath.Join(filepath.Dir(self), svc); fileExists(sibling) {
				bin = sibling
			}
		}
	}
	cmd := exec.CommandContext(ctx, bin, "pending")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s pending: %w", svc, err)
	}
	return nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// deadLetters lists the messages waiting in the dead-letter queue without
// removing them (each is fetched and handed back), or with -replay publishes
// them again to where they were first sent and removes them.
func deadLetters(ctx context.Context, cfg config, args []string) error {
	fs := flag.NewFlagSet("dead", flag.ContinueOnError)
	limit := fs.Int("n", 100, "look at most at this many messages")
	replay := fs.Bool("replay", false, "publish them again to their original exchange and routing key")
	queue := fs.String("queue", "pay.dead.queue", "the dead-letter queue")
	if err := fs.Parse(args); err != nil {
		return err
	}
	conn, ch, err := openChannel(cfg.AMQPURL, true)
	if err != nil {
		return err
	}
	defer conn.Close()
	var held []amqp.Delivery
	defer func() {
		for _, d := range held {
			_ = d.Nack(false, true) // hand back what was only looked at
		}
	}()
	for i := 0; i < *limit; i++ {
		d, ok, err := ch.Get(*queue, false)
		if err != nil {
			return fmt.Errorf("read %s: %w", *queue, err)
		}
		if !ok {
			break
		}
		reason, _ := d.Headers["x-dead-reason"].(string)
		origQueue, _ := d.Headers["x-original-queue"].(string)
		fmt.Printf("# from %s: %s\n%s\n", origQueue, reason, d.Body)
		if !*replay {
			held = append(held, d)
			continue
		}
		if err := republish(ctx, ch, d); err != nil {
			held = append(held, d)
			return err
		}
		if err := d.Ack(false); err != nil {
			return err
		}
	}
	return nil
}

// republish sends a dead letter back to its original queue through the
// default exchange, so it reaches that queue alone even when the routing key
// of its first publish is bound to several.
func republish(ctx context.Context, ch *amqp.Channel, d amqp.Delivery) error {
	origQueue, _ := d.Headers["x-original-queue"].(string)
	if origQueue == "" {
		return errors.New("dead letter without x-original-queue header; left in place")
	}
	headers := amqp.Table{"x-replayed-from": "pay.dead.queue"}
	err := publishConfirmed(ctx, ch, "", origQueue, amqp.Publishing{
		ContentType: d.ContentType, DeliveryMode: amqp.Persistent, MessageId: d.MessageId, Headers: headers, Body: d.Body,
	})
	if err != nil {
		return fmt.Errorf("replay to %s: %w", origQueue, err)
	}
	return nil
}
