package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"paysuite/pkg/events"
)

// rescanKey routes an operator's rescan request to the chain-listener, whose
// queue internal.listener.rescan.queue is bound to it on the internal exchange.
const rescanKey = "internal.listener.rescan"

// maxRescanBlocks is the listener's limit on one request; checked here too so
// the operator hears about it at once rather than through the dead letters.
const maxRescanBlocks = 100000

// rescan asks the chain-listener to look again for transfers it missed in the
// blocks from..to. Transfers already reported are not reported again.
func rescan(ctx context.Context, cfg config, args []string) error {
	if len(args) != 2 {
		return errors.New("usage: payctl rescan <from-block> <to-block>")
	}
	from, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil {
		return fmt.Errorf("from block %q: %w", args[0], err)
	}
	to, err := strconv.ParseUint(args[1], 10, 64)
	if err != nil {
		return fmt.Errorf("to block %q: %w", args[1], err)
	}
	if from > to {
		return fmt.Errorf("from block %d is above to block %d", from, to)
	}
	if to-from+1 > maxRescanBlocks {
		return fmt.Errorf("%d blocks requested; one rescan covers at most %d", to-from+1, maxRescanBlocks)
	}
	body, err := json.Marshal(map[string]uint64{"from": from, "to": to})
	if err != nil {
		return err
	}
	conn, err := amqp.Dial(cfg.AMQPURL)
	if err != nil {
		return fmt.Errorf("connect to RabbitMQ: %w", err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open channel: %w", err)
	}
	if err := ch.Confirm(false); err != nil {
		return fmt.Errorf("enable confirms: %w", err)
	}
	returns := ch.NotifyReturn(make(chan amqp.Return, 1))
	id := fmt.Sprintf("rescan-%d-%d-%d", from, to, time.Now().UnixNano())
	conf, err := ch.PublishWithDeferredConfirmWithContext(ctx, events.Exchange, rescanKey, true, false,
		amqp.Publishing{ContentType: "application/json", DeliveryMode: amqp.Persistent, MessageId: id, Body: body})
	if err != nil {
		return fmt.Errorf("publish rescan request: %w", err)
	}
	ok, err := conf.WaitContext(ctx)
	if err != nil || !ok {
		return fmt.Errorf("the broker did not confirm the rescan request: %v", err)
	}
	// A mandatory message that no queue takes comes back before its confirm.
	select {
	case r := <-returns:
		return fmt.Errorf("rescan request not routed (%s): is the chain-listener's queue declared?", r.ReplyText)
	default:
	}
	fmt.Printf("rescan of blocks %d..%d requested (message %s)\n", from, to, id)
	return nil
}
