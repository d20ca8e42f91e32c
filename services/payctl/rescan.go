package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"paysuite/pkg/events"
)

// rescan asks the chain-listener to look again for transfers it missed in the
// blocks from..to. Transfers already reported are not reported again. The
// request is an internal message: sealed with INTERNAL_SECRET and sent on the
// internal virtual host, as the suite's services send theirs.
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
	// Checked here too, so the operator hears about it at once rather than
	// through the dead letters.
	if to-from+1 > events.MaxRescanBlocks {
		return fmt.Errorf("%d blocks requested; one rescan covers at most %d", to-from+1, events.MaxRescanBlocks)
	}
	keys, err := cfg.internalKeys()
	if err != nil {
		return err
	}
	chain := ""
	if cfg.chainGiven {
		chain = cfg.chain.Name
	}
	id := fmt.Sprintf("rescan-%d-%d-%d", from, to, time.Now().UnixNano())
	if chain != "" {
		id = "rescan-" + chain + id[len("rescan"):]
	}
	msg, err := keys.Message(events.RescanKey, id, events.RescanRequest{Chain: chain, From: &from, To: &to})
	if err != nil {
		return err
	}
	url, err := cfg.internalURL()
	if err != nil {
		return err
	}
	conn, ch, err := openChannel(url, true)
	if err != nil {
		return fmt.Errorf("internal virtual host: %w", err)
	}
	defer conn.Close()
	returns := ch.NotifyReturn(make(chan amqp.Return, 1))
	err = publishConfirmed(ctx, ch, msg.Exchange, msg.RoutingKey,
		amqp.Publishing{ContentType: "application/json", DeliveryMode: amqp.Persistent, MessageId: msg.MessageID, Body: msg.Body})
	if err != nil {
		return fmt.Errorf("publish rescan request: %w", err)
	}
	// A mandatory message that no queue takes comes back before its confirm.
	select {
	case r := <-returns:
		return fmt.Errorf("rescan request not routed (%s): is the chain-listener's queue declared?", r.ReplyText)
	default:
	}
	fmt.Printf("rescan of blocks %d..%d%s requested (message %s)\n", from, to, onChain(chain), id)
	return nil
}

// onChain is " of chain NAME", or nothing for the listener's first chain.
func onChain(name string) string {
	if name == "" {
		return ""
	}
	return " of chain " + name
}
