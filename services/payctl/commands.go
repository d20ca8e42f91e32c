package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
	amqp "github.com/rabbitmq/amqp091-go"

	"paysuite/pkg/contract"
	"paysuite/pkg/ethtx"
	"paysuite/pkg/hdwallet"
	"paysuite/pkg/money"
	"paysuite/pkg/sign"
)

// publish sends a signed request. Arguments are key=value (a string) or
// key:=json (a raw JSON value, e.g. amount:=12.5 for a JSON number).
func publish(ctx context.Context, cfg config, args []string) error {
	if len(args) < 1 {
		return errors.New("usage: payctl publish <flow> key=value")
	}
	flow, ok := cfg.flow(args[0])
	if !ok {
		return fmt.Errorf("unknown flow %q", args[0])
	}
	fields := map[string]any{}
	for _, kv := range args[1:] {
		if k, v, ok := strings.Cut(kv, ":="); ok {
			fields[k] = json.RawMessage(v)
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("argument %q is not key=value", kv)
		}
		fields[k] = v
	}
	if _, ok := fields["chain"]; !ok && cfg.chainGiven {
		fields["chain"] = cfg.chain.Name
	}
	if _, ok := fields["request_id"]; !ok {
		fields["request_id"] = fmt.Sprintf("%s-%d", flow.Name, time.Now().UnixNano())
	}
	body, err := sign.Seal([]byte(cfg.SignSecret), fields, time.Now())
	if err != nil {
		return err
	}
	conn, ch, err := openChannel(cfg.AMQPURL, true)
	if err != nil {
		return err
	}
	defer conn.Close()
	err = publishConfirmed(ctx, ch, cfg.Names.Exchange, flow.RequestKey,
		amqp.Publishing{ContentType: "application/json", DeliveryMode: amqp.Persistent, Body: body})
	if err != nil {
		return fmt.Errorf("publish the request: %w", err)
	}
	fmt.Println(string(body))
	return nil
}

// follow prints the messages of a return queue (or any queue) as they arrive.
// It leaves them in the queue for the business systems that read it: what it
// prints stays unacknowledged, and the broker hands it back when follow exits.
// With --ack it takes them (acknowledges each once printed).
func follow(ctx context.Context, cfg config, args []string) error {
	fs := flag.NewFlagSet("follow", flag.ContinueOnError)
	count := fs.Int("n", 0, "stop after this many messages (0: never)")
	timeout := fs.Duration("t", 0, "stop after this long (0: never)")
	ack := fs.Bool("ack", false, "take the messages it prints out of the queue")
	if len(args) < 1 {
		return errors.New("usage: payctl follow <flow|queue> [-n N] [-t DURATION] [--ack]")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	queue := args[0]
	if flow, ok := cfg.flow(queue); ok {
		queue = flow.ReturnQueue
	}
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	conn, ch, err := openChannel(cfg.AMQPURL, false)
	if err != nil {
		return err
	}
	defer conn.Close()
	if *count > 0 && *count <= math.MaxUint16 {
		// Hold no more messages than it prints: the others stay with the
		// queue's other consumers.
		if err := ch.Qos(*count, 0, false); err != nil {
			return err
		}
	}
	deliveries, err := ch.Consume(queue, "payctl", false, false, false, false, nil)
	if err != nil {
		return fmt.Errorf("consume %s: %w", queue, err)
	}
	for n := 0; *count == 0 || n < *count; n++ {
		select {
		case <-ctx.Done():
			return nil
		case d, ok := <-deliveries:
			if !ok {
				return errors.New("the broker closed the consumer")
			}
			if reason, ok := d.Headers["x-dead-reason"].(string); ok {
				fmt.Printf("# dead-lettered: %s\n", reason)
			}
			fmt.Println(string(d.Body))
			if *ack {
				if err := d.Ack(false); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func sendUSDT(ctx context.Context, cfg config, args []string) error {
	const usage = "usage: payctl send-usdt [--gas-limit N] <from-account> <to-address> <amount>"
	fs := flag.NewFlagSet("send-usdt", flag.ContinueOnError)
	gasLimit := fs.Uint64("gas-limit", 0, "fixed gas limit (0: the node's estimate plus 20%)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if args = fs.Args(); len(args) != 3 {
		return errors.New(usage)
	}
	account, err := strconv.Atoi(args[0])
	if err != nil || account < 0 || account > 9 {
		return errors.New("from-account must be a development account 0-9")
	}
	if !contract.ValidAddress(args[1]) {
		return errors.New("to-address must be 0x followed by 40 hex digits")
	}
	tok, ok := cfg.chain.Tokens.BySymbol("USDT")
	if !ok {
		return fmt.Errorf("no USDT configured on chain %s", cfg.chain.Name)
	}
	amount, err := money.Parse(args[2], tok.Decimals)
	if err != nil {
		return err
	}
	key, _, err := hdwallet.DevAccount(account)
	if err != nil {
		return err
	}
	c, err := ethclient.DialContext(ctx, cfg.chain.RPCURL)
	if err != nil {
		return err
	}
	defer c.Close()
	tx, err := ethtx.TransferTokenGas(ctx, c, key, tok.Address, common.HexToAddress(args[1]), money.ToBaseUnits(amount, tok.Decimals), *gasLimit)
	if err != nil {
		return err
	}
	fmt.Println(tx.Hash().Hex())
	return nil
}

func balance(ctx context.Context, cfg config, args []string) error {
	if len(args) != 1 || !contract.ValidAddress(args[0]) {
		return errors.New("usage: payctl balance <address>")
	}
	c, err := ethclient.DialContext(ctx, cfg.chain.RPCURL)
	if err != nil {
		return err
	}
	defer c.Close()
	holder := common.HexToAddress(args[0])
	wei, err := c.BalanceAt(ctx, holder, nil)
	if err != nil {
		return err
	}
	fmt.Printf("%-4s %s\n", cfg.chain.NativeSymbol, money.Format(money.FromBaseUnits(wei, 18)))
	for _, tok := range cfg.chain.Tokens {
		units, err := ethtx.TokenBalance(ctx, c, tok.Address, holder)
		if err != nil {
			return err
		}
		fmt.Printf("%-4s %s\n", tok.Symbol, money.Format(money.FromBaseUnits(units, tok.Decimals)))
	}
	return nil
}

func mine(ctx context.Context, cfg config, args []string) error {
	count := 1
	if len(args) == 1 {
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 1 {
			return errors.New("count must be a positive number")
		}
		count = n
	}
	return devCall(ctx, cfg, "anvil_mine", count)
}

func reorg(ctx context.Context, cfg config, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: payctl reorg <depth>")
	}
	depth, err := strconv.Atoi(args[0])
	if err != nil || depth < 1 {
		return errors.New("depth must be a positive number")
	}
	return devCall(ctx, cfg, "anvil_reorg", depth, []any{})
}

func devCall(ctx context.Context, cfg config, method string, params ...any) error {
	c, err := rpc.DialContext(ctx, cfg.chain.RPCURL)
	if err != nil {
		return err
	}
	defer c.Close()
	var out json.RawMessage
	if err := c.CallContext(ctx, &out, method, params...); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	head, err := ethclient.NewClient(c).BlockNumber(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("head is now block %d\n", head)
	return nil
}

func address(_ context.Context, _ config, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: payctl address <account>")
	}
	i, err := strconv.Atoi(args[0])
	if err != nil || i < 0 {
		return errors.New("account must be a number")
	}
	_, addr, err := hdwallet.DevAccount(i)
	if err != nil {
		return err
	}
	fmt.Println(strings.ToLower(addr.Hex()))
	return nil
}
