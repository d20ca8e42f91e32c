package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	amqp "github.com/rabbitmq/amqp091-go"

	"paysuite/pkg/erc20"
	"paysuite/pkg/ethtx"
	"paysuite/pkg/money"
	"paysuite/pkg/sign"
)

// chaosFull is set by `make chaos`: a longer load, and restarts of the shared
// RabbitMQ and MariaDB too. The short form run by `make test` leaves those
// two alone, as other test packages use them at the same time.
var chaosFull = os.Getenv("CHAOS") == "full"

// chaosSeed fixes the schedule of faults so that a failure can be replayed.
const chaosSeed = 42

// chaosSweepThreshold is the least USDT pay sweeps from a deposit address:
// under every balance the load leaves on one (5 deposited, 1.5 paid out of
// it), so that each funded deposit address is swept, before its payment or
// after it.
const chaosSweepThreshold = "1"

// chaosRun is the state of one fault-injection run: what was asked for and what
// was sent on chain, for the invariants checked at the end.
type chaosRun struct {
	s        *Suite
	mu       sync.Mutex
	deposits map[string]string   // deposit request_id -> address, once registered
	funded   map[string]string   // deposit request_id -> tx hash of the transfer sent to it
	payouts  map[string][]string // request_id -> {flow, recipient, amount}
	orders   map[string]string   // order request_id -> tx hash of its payment
	injected map[string]int
	// listQueues runs rabbitmqctl list_queues with args on the broker of
	// the run; nil means the main node.
	listQueues func(args ...string) ([]byte, error)
	// collection is the wallet pay sweeps the deposit addresses into, and
	// payEnv pay's settings beyond the suite's, at every (re)start.
	collection string
	payEnv     []string
	// sweepSummary tells what sweeping did, once checkSweeps ran.
	sweepSummary string
	// sends orders the load's transfers and the reorgs: a reorg drops the
	// transactions of the blocks it replaces, and a nonce handed out past a
	// dropped one would leave every later transfer of the account waiting
	// behind the gap; after a reorg the next transfer asks the node.
	sends sync.Mutex
}

// publish sends a signed request as a business system would during an outage:
// it retries until the broker takes it, for up to a minute.
func (r *chaosRun) publish(key string, fields map[string]any) {
	r.publishRaw(key, func() []byte {
		fields["timestamp"] = time.Now().Unix()
		body, err := sign.Seal(r.s.secret, fields, time.Now())
		if err != nil {
			r.s.t.Fatal(err)
		}
		return body
	})
}

func (r *chaosRun) publishRaw(key string, body func() []byte) {
	t := r.s.t
	deadline := time.Now().Add(time.Minute)
	for {
		err := publishOnce(t.Context(), r.s.AMQPURL, key, body())
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("publish %s: %v", key, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func publishOnce(ctx context.Context, url, key string, body []byte) error {
	return tryChannel(url, func(ch *amqp.Channel) error {
		if err := ch.Confirm(false); err != nil {
			return err
		}
		conf, err := ch.PublishWithDeferredConfirmWithContext(ctx, "pay.exchange", key, true, false,
			amqp.Publishing{ContentType: "application/json", DeliveryMode: amqp.Persistent, Body: body})
		if err != nil {
			return err
		}
		if ok, err := conf.WaitContext(ctx); err != nil || !ok {
			return fmt.Errorf("not confirmed: %v", err)
		}
		return nil
	})
}

func (r *chaosRun) count(fault string) {
	r.mu.Lock()
	r.injected[fault]++
	r.mu.Unlock()
}

// TestChaos runs a steady mixed load of deposits, withdrawals, payments, orders
// and webhooks, with pay sweeping the deposit addresses into a collection
// wallet, while services are SIGKILLed and restarted, broker connections are
// closed, requests are duplicated and the chain reorganises; then it checks
// that every request has exactly one final answer that matches the chain, that
// no payout moved funds twice, that nothing is left in an outbox or a queue,
// that every deposit address due for sweeping was swept once per sweep pay
// recorded, and that `pay reconcile` finds pay's records equal to the chain.
func TestChaos(t *testing.T) {
	duration := 20 * time.Second
	if chaosFull {
		duration = 90 * time.Second
	}
	s := NewSuite(t)
	collection := newAddress(t)
	// TestSweepCrash's sweeping, with the lower threshold of the load (a
	// variable set twice takes its last value).
	payEnv := append(sweepEnv(collection), "CHAIN_ETH_SWEEP_THRESHOLDS=USDT="+chaosSweepThreshold, haltOnRace)
	hooks := NewReceiver(t, func(int) int { return 200 })
	s.Start("chain-listener", haltOnRace)
	s.Start("topup", haltOnRace)
	s.Start("matcher", haltOnRace)
	s.Start("notifier", haltOnRace, "WEBHOOK_POLL_INTERVAL=100ms", "WEBHOOK_RETRY_SCHEDULE=500ms,1s,2s,4s")
	s.startPayout("withdraw", "withdraw", withdrawQueue, 1, haltOnRace)
	s.startPayout("pay", "pay", payQueue, 1, payEnv...)
	s.WaitConsumers("pay.topup.queue", 1)
	s.WaitConsumers(orderQueue, 1)
	topups, withdraws, pays, orders := s.Collect(topupReturn), s.Collect(withdrawReturn), s.Collect(payReturn), s.Collect(orderReturn)
	dead := s.Collect(deadQueue)
	stopMiner := s.startMiner(300 * time.Millisecond)

	r := &chaosRun{s: s, deposits: map[string]string{}, funded: map[string]string{}, payouts: map[string][]string{},
		orders: map[string]string{}, injected: map[string]int{}, collection: collection, payEnv: payEnv}
	rng := rand.New(rand.NewPCG(chaosSeed, chaosSeed))
	end := time.Now().Add(duration)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); r.injectFaults(t, rng, end) }()

	// The load: a request of each flow every tick, sends on chain for the
	// answers that came back, and now and then a duplicate or garbage.
	garbage := 0
	for i := 0; time.Now().Before(end); i++ {
		dep := fmt.Sprintf("cx-dep-%d", i)
		fields := map[string]any{"request_id": dep}
		if i%2 == 0 {
			fields["callback_url"] = hooks.URL
		}
		r.publish(topupKey, fields)
		wd := fmt.Sprintf("cx-wd-%d", i)
		to := newAddress(t)
		r.payouts[wd] = []string{"withdraw", to, "0.5"}
		r.publish(withdrawKey, withdrawal(wd, to, "0.5"))
		r.publish(orderKey, map[string]any{"request_id": fmt.Sprintf("cx-ord-%d", i), "order_id": fmt.Sprintf("o-%d", i), "amount": "2"})
		if i%3 == 2 { // a business system retrying an earlier request
			r.publish(withdrawKey, withdrawal(fmt.Sprintf("cx-wd-%d", i-1), r.payouts[fmt.Sprintf("cx-wd-%d", i-1)][1], "0.5"))
			r.count("duplicate request")
		}
		if i%10 == 5 {
			r.publishRaw(topupKey, func() []byte { return []byte("garbage that is not JSON") })
			garbage++
		}
		r.sendForAnswers(t, topups, orders, pays)
		time.Sleep(250 * time.Millisecond)
	}
	wg.Wait()
	r.restoreAll(t)

	// Let the last answers come, fund what is left, and confirm everything.
	settle := time.Now().Add(3 * time.Minute)
	for time.Now().Before(settle) {
		r.sendForAnswers(t, topups, orders, pays)
		if r.allFinal(topups, withdraws, pays, orders) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	// The sweeps of the last deposits need blocks to end.
	r.waitSwept(2 * time.Minute)
	stopMiner()
	s.Mine(confirmations + 1)
	time.Sleep(2 * time.Second)

	held := r.checkInvariants(t, topups, withdraws, pays, orders, dead, garbage, hooks)
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-34s %s\n", "fault injected", "times")
	for fault, n := range r.injected {
		fmt.Fprintf(&b, "%-34s %d\n", fault, n)
	}
	writeHeld(&b, held)
	b.WriteString("\n" + r.sweepSummary)
	t.Log(b.String())
}

// writeHeld appends the table of invariants and whether each held.
func writeHeld(b *strings.Builder, held [][2]string) {
	fmt.Fprintf(b, "\n%-60s %s\n", "invariant", "held")
	for _, h := range held {
		fmt.Fprintf(b, "%-60s %s\n", h[0], h[1])
	}
}

// injectFaults injects one fault every second or two until end.
func (r *chaosRun) injectFaults(t *testing.T, rng *rand.Rand, end time.Time) {
	services := []string{"chain-listener", "topup", "matcher", "notifier", "withdraw", "pay"}
	faults := []string{"kill", "kill", "close connections", "reorg"}
	if chaosFull {
		faults = append(faults, "restart RabbitMQ", "restart MariaDB")
	}
	for time.Now().Before(end) {
		time.Sleep(time.Duration(1000+rng.IntN(1000)) * time.Millisecond)
		switch fault := faults[rng.IntN(len(faults))]; fault {
		case "kill":
			svc := services[rng.IntN(len(services))]
			r.s.Kill(svc)
			r.count("SIGKILL " + svc)
			time.Sleep(time.Duration(rng.IntN(500)) * time.Millisecond)
			r.restart(svc)
		case "close connections":
			if out, err := exec.Command("rabbitmqctl", "close_all_connections", "chaos").CombinedOutput(); err != nil {
				t.Logf("close connections: %v %s", err, out)
				continue
			}
			r.count(fault)
		case "reorg":
			r.sends.Lock()
			err := r.s.Chain.Reorg(1)
			r.s.nonces = ethtx.Nonces{}
			r.sends.Unlock()
			if err != nil {
				t.Logf("reorg: %v", err)
				continue
			}
			r.count("reorg (depth 1)")
		case "restart RabbitMQ":
			run(t, "rabbitmqctl", "stop_app")
			run(t, "rabbitmqctl", "start_app")
			r.count(fault)
		case "restart MariaDB":
			run(t, "mariadb-admin", "-h127.0.0.1", "-uroot", "shutdown")
			// The server answers the shutdown before its process exits; a start
			// meanwhile would find that process and do nothing.
			waitGone(t, "mariadbd")
			run(t, "start-stop-daemon", "--start", "--oknodo", "--background", "--exec", "/usr/sbin/mariadbd")
			waitTCP(t, "127.0.0.1:3306")
			r.count(fault)
		}
	}
}

func (r *chaosRun) restart(svc string) {
	switch svc {
	case "withdraw":
		r.s.StartAs(svc, svc, haltOnRace)
	case "pay":
		r.s.StartAs(svc, svc, r.payEnv...)
	case "notifier":
		r.s.Start(svc, haltOnRace, "WEBHOOK_POLL_INTERVAL=100ms", "WEBHOOK_RETRY_SCHEDULE=500ms,1s,2s,4s")
	default:
		r.s.Start(svc, haltOnRace)
	}
}

// restoreAll restarts whatever a fault left stopped.
func (r *chaosRun) restoreAll(t *testing.T) {
	for _, svc := range []string{"chain-listener", "topup", "matcher", "notifier", "withdraw", "pay"} {
		if !r.s.Running(svc) {
			t.Logf("%s was down at the end of the load: restarting it", svc)
			r.restart(svc)
		}
	}
}

// sendForAnswers does on chain what a user would after an answer: pay into a
// registered deposit address, pay an order, and once a deposit is confirmed,
// pay a merchant from that address.
func (r *chaosRun) sendForAnswers(t *testing.T, topups, orders, pays *Collector) {
	for _, m := range topups.All() {
		id := m.Str("request_id")
		switch {
		case m.Str("event") == "registered" && m.Num("status") == 1 && r.deposits[id] == "":
			r.deposits[id] = m.Str("address")
			r.funded[id] = r.sendUSDT(1, m.Str("address"), "5")
		case m.Str("event") == "deposit" && m.Num("status") == 1:
			payID := "cx-pay-" + strings.TrimPrefix(id, "cx-dep-")
			if _, done := r.payouts[payID]; !done {
				to := newAddress(t)
				r.payouts[payID] = []string{"pay", to, "1.5"}
				r.publish(payKey, map[string]any{"request_id": payID, "order_id": payID, "from_address": m.Str("address"),
					"to_address": to, "amount": "1.5"})
			}
		}
	}
	for _, m := range orders.All() {
		id := m.Str("request_id")
		if m.Str("event") == "created" && m.Num("status") == 1 && r.orders[id] == "" {
			r.orders[id] = r.sendUSDT(2, m.Str("pay_address"), m.Str("pay_amount"))
		}
	}
}

// sendUSDT transfers amount from development account from to to, between
// reorgs, and returns the transaction's hash.
func (r *chaosRun) sendUSDT(from int, to, amount string) string {
	r.sends.Lock()
	defer r.sends.Unlock()
	return r.s.SendUSDT(from, to, amount).Hex()
}

// onChain reports whether the transaction is in the canonical chain.
func (r *chaosRun) onChain(hash string) bool {
	receipt, err := r.s.Eth.TransactionReceipt(r.s.t.Context(), common.HexToHash(hash))
	return err == nil && receipt != nil && receipt.Status == 1
}

// allFinal reports whether every request has its final answer.
func (r *chaosRun) allFinal(topups, withdraws, pays, orders *Collector) bool {
	for id, p := range r.payouts {
		c, event := withdraws, "withdraw"
		if p[0] == "pay" {
			c, event = pays, "pay"
		}
		if len(Find(c.All(), eventOf(id, event))) == 0 {
			return false
		}
	}
	for id, tx := range r.funded {
		if r.onChain(tx) && len(Find(topups.All(), depositsOf(id, 1))) == 0 {
			return false
		}
	}
	for id, tx := range r.orders {
		if r.onChain(tx) && len(Find(orders.All(), paidOf(id, 1))) == 0 {
			return false
		}
	}
	return true
}

// checkInvariants checks the end state and returns what held.
func (r *chaosRun) checkInvariants(t *testing.T, topups, withdraws, pays, orders, dead *Collector, garbage int, hooks *Receiver) [][2]string {
	v := &invariants{t: t}
	r.checkDeposits(v, topups)
	r.checkPayouts(v, withdraws, pays)
	r.checkOrders(v, orders)
	r.checkWebhooks(v, topups, hooks)
	r.checkDrained(v, []string{"chain-listener", "topup", "matcher", "withdraw", "pay"}, dead, garbage)
	// After the drain: pay has recorded every deposit the chain-listener
	// reported.
	r.checkSweeps(v, pays)
	r.checkReconcile(v)
	return v.held
}

// invariants records which invariants held, failing the test on each that
// did not.
type invariants struct {
	t    *testing.T
	held [][2]string
}

func (v *invariants) check(name string, errs []string) {
	status := "yes"
	if len(errs) > 0 {
		status = fmt.Sprintf("NO (%d)", len(errs))
		for _, e := range errs[:min(len(errs), 10)] {
			v.t.Errorf("%s: %s", name, e)
		}
	}
	v.held = append(v.held, [2]string{name, status})
}

// checkDeposits: every deposit request answered, and each funded one has one
// final status that matches the chain.
func (r *chaosRun) checkDeposits(v *invariants, topups *Collector) {
	t, check := v.t, v.check
	var errs []string
	for id := range r.deposits {
		if len(Find(topups.All(), registeredOf(id))) == 0 {
			errs = append(errs, id+" never registered")
		}
	}
	check("every topup request answered", errs)

	errs = nil
	for id, tx := range r.funded {
		confirmed := distinct(Find(topups.All(), depositsOf(id, 1)))
		reorged := distinct(Find(topups.All(), depositsOf(id, 0)))
		switch {
		case r.onChain(tx) && (len(confirmed) != 1 || len(reorged) != 0):
			errs = append(errs, fmt.Sprintf("%s on chain: %d confirmed, %d reorged reports", id, len(confirmed), len(reorged)))
		case !r.onChain(tx) && len(confirmed) != 0:
			errs = append(errs, id+" confirmed but its transfer is not on chain")
		}
	}
	assertConsistent(t, topups.All())
	check("every deposit has one final status matching the chain", errs)
}

// checkPayouts: every payout has one final answer, repeated only with the
// same content, and moved funds once if it succeeded and never otherwise.
func (r *chaosRun) checkPayouts(v *invariants, withdraws, pays *Collector) {
	s := r.s
	var errs []string
	for id, p := range r.payouts {
		c, event := withdraws, "withdraw"
		if p[0] == "pay" {
			c, event = pays, "pay"
		}
		finals := Find(c.All(), eventOf(id, event))
		if len(finals) == 0 {
			errs = append(errs, id+" has no final answer")
			continue
		}
		for _, f := range finals[1:] {
			if string(f.Body) != string(finals[0].Body) {
				errs = append(errs, id+" has two different final answers")
			}
		}
		want := new(big.Int)
		if finals[0].Num("status") == 1 {
			want = USDT(p[2])
		}
		if got := s.tokenBalance(p[1]); got.Cmp(want) != 0 {
			errs = append(errs, fmt.Sprintf("%s: recipient holds %s base units, the answer says %s", id, got, want))
		}
		if n := s.transfersTo(p[1]); (finals[0].Num("status") == 1) != (n == 1) || n > 1 {
			errs = append(errs, fmt.Sprintf("%s: %d transfers on chain for status %d", id, n, finals[0].Num("status")))
		}
	}
	v.check("no payout moved funds twice; each has one final status", errs)
}

func (r *chaosRun) checkOrders(v *invariants, orders *Collector) {
	var errs []string
	for id, tx := range r.orders {
		if r.onChain(tx) && len(Find(orders.All(), paidOf(id, 1))) == 0 {
			errs = append(errs, id+" paid on chain but never reported paid")
		}
	}
	v.check("every paid order reported paid", errs)
}

func (r *chaosRun) checkWebhooks(v *invariants, topups *Collector, hooks *Receiver) {
	var errs []string
	delivered := map[string]bool{}
	for _, c := range hooks.Calls() {
		if c.Status == 200 {
			delivered[c.Body] = true
		}
	}
	for _, m := range topups.All() {
		var n int
		fmt.Sscanf(strings.TrimPrefix(m.Str("request_id"), "cx-dep-"), "%d", &n)
		if n%2 == 0 && m.Str("event") == "registered" && !delivered[string(m.Body)] {
			errs = append(errs, "webhook not delivered: "+string(m.Body))
		}
	}
	hooks.CheckSignatures()
	v.check("every return with a callback delivered as a webhook", errs)
}

// checkDrained: the outboxes of services are empty, no request or internal
// queue holds a message, and the dead letters are the garbage sent.
func (r *chaosRun) checkDrained(v *invariants, services []string, dead *Collector, garbage int) {
	s, t, check := r.s, v.t, v.check
	var errs []string
	for _, svc := range services {
		if got := s.query(svc, "SELECT COUNT(*) FROM outbox"); got != "0" {
			errs = append(errs, fmt.Sprintf("%s outbox holds %s messages", svc, got))
		}
	}
	check("every outbox drained", errs)

	// A message a service is still working on, or waiting to retry (at most
	// AMQP_RETRY_BACKOFF_MAX, 30 s), is not left over: what is still there
	// after that is.
	from := time.Now()
	deadline := from.Add(45 * time.Second)
	first := r.undrained(t)
	for errs = first; len(errs) > 0 && time.Now().Before(deadline); errs = r.undrained(t) {
		time.Sleep(500 * time.Millisecond)
	}
	if len(first) > 0 && len(errs) == 0 {
		t.Logf("queues drained %s after the load settled (held then: %s)", time.Since(from).Round(100*time.Millisecond), strings.Join(first, "; "))
	}
	if got := len(dead.All()); got != garbage {
		errs = append(errs, fmt.Sprintf("%d dead letters, %d garbage messages sent", got, garbage))
	}
	for _, m := range dead.All() {
		if m.Str("header:x-dead-reason") == "" {
			errs = append(errs, "a dead letter without a reason")
		}
	}
	check("nothing left unacked; dead letters only the garbage", errs)
}

// waitSwept waits, for up to timeout, until no sweep is open and no deposit
// address pay knows holds the sweep threshold: the sweeps of the last
// deposits have ended. What is still due after that is told by checkSweeps.
func (r *chaosRun) waitSwept(timeout time.Duration) {
	threshold := USDT(chaosSweepThreshold)
	swept := func() bool {
		if r.s.query("pay", "SELECT COUNT(*) FROM sweeps WHERE open_key IS NOT NULL") != "0" {
			return false
		}
		for _, a := range r.payAddresses() {
			if r.s.tokenBalance(a).Cmp(threshold) >= 0 {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(timeout); !swept() && time.Now().Before(deadline); {
		time.Sleep(500 * time.Millisecond)
	}
}

// payAddresses are the deposit addresses pay knows on ETH, the chain of the
// run.
func (r *chaosRun) payAddresses() []string {
	return strings.Fields(r.s.query("pay", "SELECT address FROM deposit_addresses WHERE chain = 'ETH' ORDER BY hd_index"))
}

// tokenFlow is what the chain shows of one address's USDT: what came in, what
// went out to the collection wallet (sweeps: how many and how much) and what
// went out elsewhere (payments).
type tokenFlow struct {
	in, paid, swept *big.Int
	sweeps          int
}

// tokenFlows reads every USDT transfer of the canonical chain, by address
// (lowercase).
func (r *chaosRun) tokenFlows() map[string]*tokenFlow {
	s := r.s
	logs, err := s.Eth.FilterLogs(s.t.Context(), ethereum.FilterQuery{FromBlock: big.NewInt(0),
		Addresses: []common.Address{s.token}, Topics: [][]common.Hash{{erc20.TransferEventTopic()}}})
	if err != nil {
		s.t.Fatal(err)
	}
	token := erc20.NewToken(s.token, s.Eth)
	flows := map[string]*tokenFlow{}
	flow := func(a common.Address) *tokenFlow {
		k := lowerHex(a)
		if flows[k] == nil {
			flows[k] = &tokenFlow{in: new(big.Int), paid: new(big.Int), swept: new(big.Int)}
		}
		return flows[k]
	}
	for i := range logs {
		ev, err := token.ParseTransfer(&logs[i])
		if err != nil {
			s.t.Fatal(err)
		}
		flow(ev.To).in.Add(flow(ev.To).in, ev.Value)
		from := flow(ev.From)
		if lowerHex(ev.To) == r.collection {
			from.swept.Add(from.swept, ev.Value)
			from.sweeps++
		} else {
			from.paid.Add(from.paid, ev.Value)
		}
	}
	return flows
}

// checkSweeps: every deposit address pay knows whose deposits, less what
// payments took from it, reach the threshold ends empty, swept; pay records
// one sweep, done, for each transfer to the collection wallet on chain and
// for exactly its amount; no sweep failed or is left open; the collection
// wallet holds exactly what the done sweeps brought it.
func (r *chaosRun) checkSweeps(v *invariants, pays *Collector) {
	s := r.s
	threshold := USDT(chaosSweepThreshold)
	flows := r.tokenFlows()
	type recorded struct {
		done      int
		collected *big.Int
	}
	rows := map[string]*recorded{}
	total := new(big.Int)
	var unfinished []string
	for _, line := range strings.Split(s.query("pay", "SELECT id, address, state, collect_units, cold_units, COALESCE(error, '-')"+
		" FROM sweeps WHERE chain = 'ETH' ORDER BY id"), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 6 {
			continue
		}
		id, addr, state, collect, cold, why := f[0], f[1], f[2], units(s.t, f[3]), f[4], f[5]
		if state != "done" || cold != "0" {
			unfinished = append(unfinished, fmt.Sprintf("sweep %s of %s is %s (cold units %s, error %s)", id, addr, state, cold, why))
			continue
		}
		if rows[addr] == nil {
			rows[addr] = &recorded{collected: new(big.Int)}
		}
		rows[addr].done++
		rows[addr].collected.Add(rows[addr].collected, collect)
		total.Add(total, collect)
	}

	var errs []string
	addrs := r.payAddresses()
	due, sweeps := 0, 0
	for _, a := range addrs {
		f, rec := flows[a], rows[a]
		if f == nil {
			f = &tokenFlow{in: new(big.Int), paid: new(big.Int), swept: new(big.Int)}
		}
		if rec == nil {
			rec = &recorded{collected: new(big.Int)}
		}
		sweeps += rec.done
		if rec.done != f.sweeps || rec.collected.Cmp(f.swept) != 0 {
			errs = append(errs, fmt.Sprintf("%s: pay records %d done sweeps of %s units, the chain shows %d transfers of %s to the collection wallet",
				a, rec.done, rec.collected, f.sweeps, f.swept))
		}
		left := new(big.Int).Sub(f.in, f.paid)
		if left.Cmp(threshold) < 0 {
			if f.sweeps > 0 {
				errs = append(errs, fmt.Sprintf("%s: swept %d times although its deposits less its payments (%s units) are under the threshold", a, f.sweeps, left))
			}
			continue
		}
		due++
		if got := s.tokenBalance(a); got.Sign() != 0 || f.sweeps == 0 {
			errs = append(errs, fmt.Sprintf("%s: deposits %s, paid out %s, swept %d times (%s); it still holds %s units",
				a, f.in, f.paid, f.sweeps, f.swept, got))
		}
	}
	if due == 0 {
		errs = append(errs, fmt.Sprintf("none of the %d deposit addresses pay knows was due for sweeping: the load swept nothing", len(addrs)))
	}
	v.check("every due deposit address swept; one done sweep per sweep", errs)
	v.check("no sweep failed or left open", unfinished)

	errs = nil
	if got := s.tokenBalance(r.collection); got.Cmp(total) != 0 {
		errs = append(errs, fmt.Sprintf("the collection wallet holds %s units, the done sweeps brought %s", got, total))
	}
	v.check("collection wallet holds exactly the done sweeps' sum", errs)

	// Payments from deposit addresses, by who paid: a sweep that came first
	// leaves the payment to the hot wallet.
	fromUser, fromHot, refused := 0, 0, 0
	for id, p := range r.payouts {
		if p[0] != "pay" {
			continue
		}
		switch finals := Find(pays.All(), eventOf(id, "pay")); {
		case len(finals) == 0:
		case finals[0].Num("status") != 1:
			refused++
		case finals[0].Str("paid_from") == "user":
			fromUser++
		default:
			fromHot++
		}
	}
	var totals []string
	for _, line := range strings.Split(s.RunCommand("pay", r.payEnv, "sweeps", "--state", "all"), "\n") {
		if strings.HasPrefix(line, "ETH: ") {
			totals = append(totals, line)
		}
	}
	landed := 0
	for _, tx := range r.funded {
		if r.onChain(tx) {
			landed++
		}
	}
	r.sweepSummary = fmt.Sprintf("sweeping: %d deposit addresses known to pay, %d deposits of %d sent on chain, %d addresses due, "+
		"%d sweeps done, %d left unfinished; the collection wallet holds %s USDT; payments from deposit addresses: %d paid from the address, "+
		"%d from the hot wallet (the sweep came first), %d refused\n"+
		"pay sweeps --state all: %s\n", len(addrs), landed, len(r.funded), due, sweeps, len(unfinished),
		money.Format(money.FromBaseUnits(total, erc20.Decimals)), fromUser, fromHot, refused, strings.Join(totals, "; "))
}

// checkReconcile: `pay reconcile`, run as an operator would with pay's
// environment, exits 0 and finds no difference on any chain of the suite,
// for every deposit address pay knows there.
func (r *chaosRun) checkReconcile(v *invariants) {
	s := r.s
	out, stderr, code := s.runExit("pay", r.payEnv, "reconcile")
	var errs []string
	if code != 0 {
		errs = append(errs, fmt.Sprintf("pay reconcile exited %d: %s", code, strings.TrimSpace(stderr)))
	}
	chains := []string{"ETH"}
	for _, c := range s.more {
		chains = append(chains, c.Name)
	}
	for _, chain := range chains {
		n := s.query("pay", "SELECT COUNT(*) FROM deposit_addresses WHERE chain = '"+chain+"'")
		prefix, suffix := chain+" at block ", ": "+n+" deposit addresses, no difference"
		if !slices.ContainsFunc(strings.Split(out, "\n"), func(line string) bool {
			return strings.HasPrefix(line, prefix) && strings.HasSuffix(line, suffix)
		}) {
			errs = append(errs, fmt.Sprintf("pay reconcile printed no line \"%sN%s\":\n%s", prefix, suffix, out))
		}
	}
	v.check("pay reconcile: no difference on every chain", errs)
	s.t.Logf("pay reconcile (exit %d):\n%s", code, out)
}

// runExit runs svc's binary with args and the environment of its service
// plus extra, as an operator would, and returns what it printed on its
// standard output and error and its exit code.
func (s *Suite) runExit(svc string, extra []string, args ...string) (stdout, stderr string, code int) {
	s.t.Helper()
	cmd := exec.CommandContext(s.t.Context(), filepath.Join(binDir, svc), args...)
	cmd.Env = append(s.env(svc), extra...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		s.t.Fatalf("%s %v: %v", svc, args, err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

// units reads base units as the database prints them.
func units(t testing.TB, s string) *big.Int {
	t.Helper()
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		t.Fatalf("%q is not a number of base units", s)
	}
	return v
}

// undrained lists the request and internal queues that still hold messages,
// ready or unacknowledged.
func (r *chaosRun) undrained(t *testing.T) []string {
	s := r.s
	var lines []string
	for _, vhost := range []string{s.vhost, s.internalVhost()} {
		args := []string{"list_queues", "-q", "-p", vhost, "name", "messages_ready", "messages_unacknowledged"}
		listQueues := r.listQueues
		if listQueues == nil {
			listQueues = func(args ...string) ([]byte, error) { return exec.Command("rabbitmqctl", args...).CombinedOutput() }
		}
		out, err := listQueues(args...)
		if err != nil {
			t.Fatalf("list queues: %v %s", err, out)
		}
		lines = append(lines, strings.Split(strings.TrimSpace(string(out)), "\n")...)
	}
	var errs []string
	for _, line := range lines {
		f := strings.Fields(line)
		if len(f) != 3 || f[0] == "name" {
			continue
		}
		isRequest := strings.HasPrefix(f[0], "pay.") && !strings.Contains(f[0], "return") && f[0] != deadQueue
		if (isRequest || strings.HasPrefix(f[0], "internal.")) && (f[1] != "0" || f[2] != "0") {
			errs = append(errs, fmt.Sprintf("%s: %s ready, %s unacked", f[0], f[1], f[2]))
		}
	}
	return errs
}

func run(t *testing.T, name string, args ...string) {
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Logf("%s %v: %v %s", name, args, err, out)
	}
}

// waitGone waits until no process is named name.
func waitGone(t *testing.T, name string) {
	deadline := time.Now().Add(time.Minute)
	for exec.Command("pgrep", "-x", name).Run() == nil {
		if time.Now().After(deadline) {
			t.Fatalf("%s still running a minute after its shutdown", name)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func waitTCP(t *testing.T, addr string) {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if err := exec.Command("bash", "-c", "echo > /dev/tcp/"+strings.Replace(addr, ":", "/", 1)).Run(); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s did not come back", addr)
}
