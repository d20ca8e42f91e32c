// Command payctl is the suite's command-line client: it publishes signed
// requests, follows return queues, and drives the development chain.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"paysuite/pkg/redact"
)

const usage = `payctl: a command-line client for the payment suite

Usage: payctl <command> [--chain NAME] ...

  --chain NAME                          the configured chain to work on (CHAINS; default the first):
                                        its node and tokens for send-usdt, balance, mine, reorg;
                                        publish adds chain=NAME when the request names none,
                                        rescan asks for that chain's blocks; sweeps and reconcile
                                        hand it to pay

  payctl publish <flow> key=value ...   publish a signed request (flow: topup, withdraw, pay, order);
                                        request_id and timestamp are filled in when missing
  payctl follow <flow|queue> [-n N] [-t DURATION] [--ack]
                                        print messages of a return queue; they stay in it
                                        (held until follow exits) unless --ack takes them
  payctl send-usdt [--gas-limit N] <from-account> <to-address> <amount>
                                        send test USDT from development account 0-9
                                        (gas: the node's estimate plus 20%, or N)
  payctl balance <address>              show the address's ETH and USDT balances
  payctl mine [count]                   mine blocks on the development chain
  payctl reorg <depth>                  replace the last depth blocks with empty ones
  payctl address <account>              print a development account's address
  payctl dead [-n N] [-replay]          list dead-lettered messages with their reason;
                                        -replay sends them back to their original queue
  payctl webhooks [--failed] [--request-id ID]
                                        list webhook deliveries (runs the notifier binary)
  payctl webhook-attempts <delivery-id> list one delivery's attempts
  payctl redeliver <delivery-id>...     deliver again
  payctl rescan <from> <to>             have the chain-listener look again for missed
                                        transfers in blocks from..to (at most 100000)
  payctl pending withdraw|pay           list withdrawals or payments not yet final
                                        (runs the withdraw or pay binary; WITHDRAW_BIN, PAY_BIN)
  payctl repair-nonces withdraw|pay [--apply]
                                        for addresses whose signing is stopped (nonces and chain
                                        disagree): what was found and what the repair does;
                                        --apply does it (runs the withdraw or pay binary)
  payctl sweeps [--state open|done|failed|all]
                                        list the sweeps of deposit addresses into the collection
                                        wallet (default the open ones), with a total per chain
                                        (runs pay sweeps; --chain: that chain's only)
  payctl reconcile [--block N]          print each address and token whose balance on chain differs
                                        from the suite's records, and the block read (runs pay
                                        reconcile; --chain: that chain only)
  payctl init [--non-interactive] [--out FILE] [--force] ...
                                        set up a new deployment: secrets, encrypted key files,
                                        xpubs, chains, broker, database, Telegram; writes an
                                        environment file (mode 0600) for docker compose and the
                                        binaries (payctl init --help lists the flags)

Environment: AMQP_URL, AMQP_EXCHANGE, SIGN_SECRET (default dev-secret), the chains
(CHAINS and CHAIN_<NAME>_RPC_URL, _TOKENS, ..., or ETH_RPC_URL and TOKENS for one);
rescan: AMQP_INTERNAL_URL (default AMQP_URL on the internal virtual host) and
INTERNAL_SECRET (with DEV_MODE=true, default the development one).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cfg, err := loadConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "payctl:", err)
		os.Exit(2)
	}
	chainName, args, err := chainFlag(os.Args[2:])
	if err == nil {
		err = cfg.useChain(chainName)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "payctl:", err)
		os.Exit(2)
	}
	commands := map[string]func(context.Context, config, []string) error{
		"publish":          publish,
		"follow":           follow,
		"send-usdt":        sendUSDT,
		"balance":          balance,
		"mine":             mine,
		"reorg":            reorg,
		"address":          address,
		"dead":             deadLetters,
		"webhooks":         notifierCommand("deliveries"),
		"webhook-attempts": notifierCommand("attempts"),
		"redeliver":        notifierCommand("redeliver"),
		"rescan":           rescan,
		"pending":          pending,
		"repair-nonces":    repairNonces,
		"sweeps":           payCommand("sweeps"),
		"reconcile":        payCommand("reconcile"),
		"init":             initDeployment,
		"unmatched":        matcherCommand("unmatched"),
		"assign":           matcherCommand("assign"),
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err := cmd(ctx, cfg, args); err != nil {
		// A node's URL may carry a provider's API key.
		for _, url := range cfg.nodeURLs() {
			err = redact.Error(err, url)
		}
		fmt.Fprintln(os.Stderr, "payctl:", err)
		os.Exit(1)
	}
}
