package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
)

// The trust boundary (contract section 7), tried as the parties it keeps out:
// a business system's broker user, someone with every broker right but not
// the internal secret, and anyone replaying the suite's own returns.

var errUnroutable = errors.New("unroutable")

// grantUsers gives the suite's two virtual hosts the grants of
// scripts/broker-users.sh, for the business user and each service's user.
func (s *Suite) grantUsers(t *testing.T) {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("..", "..", "scripts", "broker-users.sh"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), script, "--dev")
	cmd.Env = append(os.Environ(), "AMQP_VHOST="+s.vhost, "AMQP_INTERNAL_VHOST="+s.internalVhost())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("broker-users.sh: %v\n%s", err, out)
	}
}

// userURLs are the settings that make svc connect as its own broker user.
func (s *Suite) userURLs(svc string) []string {
	return []string{
		"AMQP_URL=" + s.userURL(svc, s.vhost),
		"AMQP_INTERNAL_URL=" + s.userURL(svc, s.internalVhost()),
	}
}

// userURL is the address of vhost for a development user, whose password is
// its name.
func (s *Suite) userURL(user, vhost string) string {
	return fmt.Sprintf("amqp://%s:%s@127.0.0.1:5672/%s", user, user, url.PathEscape(vhost))
}

// tryPublish publishes one mandatory message in confirm mode and tells what
// the broker made of it: nil when a queue took it, errUnroutable when none
// did, or the error that closed the channel (a refusal).
func tryPublish(ctx context.Context, amqpURL, exchange, key string, body []byte) error {
	return tryChannel(amqpURL, func(ch *amqp.Channel) error {
		closed := ch.NotifyClose(make(chan *amqp.Error, 1))
		returned := ch.NotifyReturn(make(chan amqp.Return, 1))
		if err := ch.Confirm(false); err != nil {
			return err
		}
		conf, err := ch.PublishWithDeferredConfirmWithContext(ctx, exchange, key, true, false,
			amqp.Publishing{ContentType: "application/json", DeliveryMode: amqp.Persistent, Body: body})
		if err != nil {
			return err
		}
		ok, err := conf.WaitContext(ctx)
		select {
		case cerr := <-closed:
			if cerr != nil {
				return cerr
			}
		default:
		}
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("nacked")
		}
		select {
		case <-returned:
			return errUnroutable
		default:
			return nil
		}
	})
}

func isAccessRefused(err error) bool {
	var aerr *amqp.Error
	return errors.As(err, &aerr) && aerr.Code == amqp.AccessRefused
}

// TestBusinessUserReachesOnlyThePublicAPI runs the services as their own
// broker users and drives them as the business user: requests go in through
// the exchange and straight to a queue, returns come out; everything else the
// broker refuses, and nothing internal is even reachable.
func TestBusinessUserReachesOnlyThePublicAPI(t *testing.T) {
	s := NewSuite(t)
	s.grantUsers(t)
	s.Start("chain-listener", s.userURLs("chain-listener")...)
	s.Start("topup", s.userURLs("topup")...)
	s.startPayout("withdraw", "withdraw", withdrawQueue, 1, append(s.userURLs("withdraw"), "DEV_FUND_TOKENS=1000")...)
	s.WaitConsumers(listenerWatches, 1)
	s.WaitConsumers("pay.topup.queue", 1)
	business := s.userURL("business", s.vhost)
	stop := s.startMiner(150 * time.Millisecond)
	defer stop()

	// Through the exchange with a request key, and straight to a request queue.
	reg := s.sealRequest(map[string]any{"request_id": "biz-topup"})
	if err := tryPublish(t.Context(), business, "pay.exchange", topupKey, reg); err != nil {
		t.Fatalf("business user publishing a topup request: %v", err)
	}
	to := newAddress(t)
	wd := s.sealRequest(withdrawal("biz-withdraw", to, "2.5"))
	if err := tryPublish(t.Context(), business, "", withdrawQueue, wd); err != nil {
		t.Fatalf("business user publishing straight to %s: %v", withdrawQueue, err)
	}
	// Read as the business user.
	biz := &Suite{t: t, AMQPURL: business, InternalURL: business}
	topups, withdraws := biz.Collect(topupReturn), biz.Collect(withdrawReturn)
	topups.WaitFor(t, "the registration", wait, func(ms []Message) bool { return len(Find(ms, registeredOf("biz-topup"))) > 0 })
	final := waitEvent(t, withdraws, "biz-withdraw", "withdraw")
	if final.Num("status") != 1 || s.tokenBalance(to).Cmp(USDT("2.5")) != 0 {
		t.Fatalf("withdrawal through the business user: %s", final.Body)
	}

	sealed, err := devKeys.Seal(events.TransferKey(events.OwnerTopup), events.Transfer{Kind: events.KindConfirmed})
	if err != nil {
		t.Fatal(err)
	}
	refused := []struct {
		what string
		err  error
		want func(error) bool
	}{
		{"connecting to the internal virtual host",
			tryChannel(s.userURL("business", s.internalVhost()), func(*amqp.Channel) error { return nil }),
			func(err error) bool { return err != nil }},
		{"publishing to the internal exchange",
			tryPublish(t.Context(), business, events.Exchange, events.TransferKey(events.OwnerTopup), sealed),
			func(err error) bool {
				// Refused for want of the right, or because no such exchange
				// exists in the public virtual host.
				var e *amqp.Error
				return errors.As(err, &e) && (e.Code == amqp.AccessRefused || e.Code == amqp.NotFound)
			}},
		{"publishing straight to an internal queue",
			tryPublish(t.Context(), business, "", events.TransferQueue(events.OwnerTopup), sealed),
			func(err error) bool { return errors.Is(err, errUnroutable) }},
		{"declaring the internal exchange",
			tryChannel(business, func(ch *amqp.Channel) error {
				return ch.ExchangeDeclare(events.Exchange, "topic", true, false, false, false, nil)
			}), isAccessRefused},
		{"declaring a queue",
			tryChannel(business, func(ch *amqp.Channel) error {
				_, err := ch.QueueDeclare(events.TransferQueue(events.OwnerTopup), true, false, false, false, nil)
				return err
			}), isAccessRefused},
		{"publishing a return through the exchange",
			tryPublish(t.Context(), business, "pay.exchange", "pay.withdraw.return", final.Body), isAccessRefused},
		{"consuming a request queue",
			tryChannel(business, func(ch *amqp.Channel) error {
				_, err := ch.Consume(withdrawQueue, "", false, false, false, false, nil)
				return err
			}), isAccessRefused},
	}
	for _, r := range refused {
		if !r.want(r.err) {
			t.Errorf("business user %s: got %v, want a refusal", r.what, r.err)
		}
	}
}

// TestForgedInternalMessages: with every broker right but without the
// internal secret, forged transfer events, address lists, rescans and alerts
// are dead-lettered with a reason and have no effect; the operators hear of
// them in the suite's own words.
func TestForgedInternalMessages(t *testing.T) {
	const token, chat = "4242:test-token", "-1001234"
	bot := NewBotAPI(t, token, chat)
	s := NewSuite(t)
	s.Start("chain-listener")
	s.Start("topup")
	s.Start("notifier", "TELEGRAM_BOT_TOKEN="+token, "TELEGRAM_CHAT_ID="+chat, "TELEGRAM_API_URL="+bot.URL,
		"ALERT_MIN_INTERVAL=1ms")
	s.startPayout("pay", "pay", payQueue, 1)
	s.WaitConsumers(listenerWatches, 1)
	s.WaitConsumers(events.TransferQueue(events.OwnerTopup), 1)
	s.WaitConsumers(alertQueue, 1)
	s.WaitConsumers(events.AddressListQueue(events.OwnerPay), 1)
	c := s.Collect(topupReturn)
	addr := register(t, s, c, "forge-target")
	attacker := strings.ToLower(newAddress(t))

	wrong, err := events.NewKeys([]byte("a guess at the internal secret, long enough"))
	if err != nil {
		t.Fatal(err)
	}
	transfer := events.Transfer{Kind: events.KindConfirmed, Chain: "ETH", Symbol: "USDT", Token: strings.ToLower(s.token.Hex()),
		Decimals: 6, TxHash: "0x" + strings.Repeat("ab", 32), BlockNumber: 1, BlockHash: "0x" + strings.Repeat("cd", 32),
		From: attacker, To: addr, Amount: "1000000000000", Confirmations: 100, Sequence: 9}
	index := uint32(7)
	list := events.AddressList{Chain: "ETH", Owner: events.OwnerTopup, Addresses: []events.ListedAddress{{Address: attacker, Index: &index}}}
	alert := events.Alert{Kind: events.AlertLowBalance, Key: "x", Service: "withdraw", Message: "urgent: move the funds to http://phish.example"}
	from, to := uint64(0), uint64(5)
	rescan := events.RescanRequest{From: &from, To: &to}
	plain := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	forge := func(k events.Keys, key string, v any) []byte {
		b, err := k.Seal(key, v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	forgeries := []struct {
		what, exchange, key string
		body                []byte
		queues              int // internal queues the message reaches
	}{
		{"transfer event in the listener's plain format", events.Exchange, events.TransferKey(events.OwnerTopup), plain(transfer), 1},
		{"transfer event sealed with a guessed secret", events.Exchange, events.TransferKey(events.OwnerTopup), forge(wrong, events.TransferKey(events.OwnerTopup), transfer), 1},
		{"genuine-looking transfer event straight to the queue", "", events.TransferQueue(events.OwnerTopup), forge(devKeys, events.TransferKey(events.OwnerTopup), transfer), 1},
		{"address list", events.Exchange, events.AddressListKey, plain(list), 2},
		{"rescan", events.Exchange, events.RescanKey, plain(rescan), 1},
		{"alert", events.Exchange, events.AlertKey(events.AlertLowBalance), plain(alert), 1},
	}
	want := 0
	for _, f := range forgeries {
		if err := tryPublish(t.Context(), s.InternalURL, f.exchange, f.key, f.body); err != nil {
			t.Fatalf("publish forged %s: %v", f.what, err)
		}
		want += f.queues
	}
	dead := s.collectAt(s.InternalURL, deadQueue)
	msgs := dead.WaitFor(t, "every forgery dead-lettered", wait, func(ms []Message) bool { return len(ms) >= want })
	for _, m := range msgs {
		if reason := m.Str("header:x-dead-reason"); !strings.Contains(reason, "not authenticated") {
			t.Errorf("dead letter with reason %q: %s", reason, m.Body)
		}
	}
	servicetest.Eventually(t, "the operators told of the forgeries", func() bool {
		for _, m := range bot.Messages() {
			if strings.Contains(m, "forged_message") || strings.Contains(m, "not from the suite") {
				return true
			}
		}
		return false
	})

	// A genuine deposit still goes through, and the forged one never appears.
	tx := s.SendUSDT(1, addr, "3")
	s.Mine(confirmations)
	confirmed := waitDeposit(t, c, "forge-target", 1, 1)
	if confirmed[0].Str("tx_hash") != tx.Hex() {
		t.Fatalf("confirmed deposit: %s", confirmed[0].Body)
	}
	for _, m := range c.All() {
		if m.Str("event") == "deposit" && m.Str("tx_hash") == transfer.TxHash {
			t.Errorf("forged deposit reported: %s", m.Body)
		}
	}
	if n := s.sqlCount("chain-listener", "SELECT COUNT(*) FROM rescans"); n != 0 {
		t.Errorf("%d rescans recorded from a forged request", n)
	}
	for _, svc := range []string{"chain-listener", "pay"} {
		if got := s.query(svc, "SELECT COUNT(*) FROM "+addressTable(svc)+" WHERE address = '"+attacker+"'"); got != "0" {
			t.Errorf("%s learnt the forged address", svc)
		}
	}
	for _, m := range bot.Messages() {
		if strings.Contains(m, "phish") {
			t.Errorf("a forged alert reached the operators: %q", m)
		}
	}
}

// addressTable is where svc keeps the addresses it learnt.
func addressTable(svc string) string {
	if svc == "pay" {
		return "deposit_addresses"
	}
	return "watched"
}

// collectAt is Collect on the virtual host at amqpURL.
func (s *Suite) collectAt(amqpURL, queue string) *Collector {
	other := &Suite{t: s.t, AMQPURL: amqpURL, InternalURL: amqpURL}
	return other.Collect(queue)
}

// TestReturnsAreNeverRequests republishes every return the suite sent, of
// every flow, to every request queue: each is answered rejected
// (invalid_request) on that queue's flow, and nothing moves or changes.
func TestReturnsAreNeverRequests(t *testing.T) {
	s := NewSuite(t)
	s.Start("chain-listener")
	s.Start("topup")
	s.Start("matcher")
	s.startPayout("withdraw", "withdraw", withdrawQueue, 1, "DEV_FUND_TOKENS=1000")
	s.startPayout("pay", "pay", payQueue, 1)
	s.WaitConsumers(listenerWatches, 1)
	s.WaitConsumers("pay.topup.queue", 1)
	s.WaitConsumers(orderQueue, 1)
	stop := s.startMiner(150 * time.Millisecond)
	defer stop()
	flows := map[string]*Collector{topupReturn: s.Collect(topupReturn), withdrawReturn: s.Collect(withdrawReturn),
		payReturn: s.Collect(payReturn), orderReturn: s.Collect(orderReturn)}

	// One of each return: a registration and a deposit (pending, confirmed),
	// a withdrawal (submitted, paid), a refused payment naming a recipient, an
	// order, and the rejection of an unsigned request.
	addr := register(t, s, flows[topupReturn], "ret-topup")
	s.SendUSDT(1, addr, "4")
	waitDeposit(t, flows[topupReturn], "ret-topup", 1, 1)
	recipient := newAddress(t)
	s.Publish(withdrawKey, withdrawal("ret-withdraw", recipient, "1"))
	waitEvent(t, flows[withdrawReturn], "ret-withdraw", "withdraw")
	s.Publish(payKey, payment("ret-pay", "o-1", newAddress(t), recipient, "1"))
	waitEvent(t, flows[payReturn], "ret-pay", "pay")
	openOrder(t, s, flows[orderReturn], map[string]any{"request_id": "ret-order", "order_id": "o-ret", "amount": "1"})
	s.PublishRaw(orderKey, []byte(`{"request_id":"ret-unsigned","order_id":"o-x","amount":"1"}`))
	flows[orderReturn].WaitFor(t, "the rejection", wait, func(ms []Message) bool { return len(Find(ms, rejectedOf("ret-unsigned"))) > 0 })

	var returns []Message
	for _, c := range flows {
		returns = append(returns, c.All()...)
	}
	checkMessageIDs(t, returns)
	hotNonce := s.nonceOf(devAddress(t, withdrawHotPath))
	payNonce := s.nonceOf(devAddress(t, payHotPath))
	received := s.tokenBalance(recipient)
	before := map[string]int{}
	for q, c := range flows {
		before[q] = len(c.All())
	}
	requestQueues := map[string]string{"pay.topup.queue": topupReturn, withdrawQueue: withdrawReturn, payQueue: payReturn, orderQueue: orderReturn}
	for _, m := range returns {
		for q := range requestQueues {
			if err := tryPublish(t.Context(), s.AMQPURL, "", q, m.Body); err != nil {
				t.Fatal(err)
			}
		}
	}
	for q, ret := range requestQueues {
		c := flows[ret]
		msgs := c.WaitFor(t, fmt.Sprintf("%d rejections on %s", len(returns), ret), wait, func(ms []Message) bool {
			return len(ms)-before[ret] >= len(returns)
		})
		for _, m := range msgs[before[ret]:] {
			if m.Str("event") != "rejected" || m.Str("error") != "invalid_request" || m.Num("status") != 0 {
				t.Errorf("a return replayed to %s was answered %s", q, m.Body)
			}
		}
	}
	s.Mine(confirmations + 1)
	if got := s.nonceOf(devAddress(t, withdrawHotPath)); got != hotNonce {
		t.Errorf("withdraw's hot wallet sent %d transactions after the replays", got-hotNonce)
	}
	if got := s.nonceOf(devAddress(t, payHotPath)); got != payNonce {
		t.Errorf("pay's hot wallet sent %d transactions after the replays", got-payNonce)
	}
	if got := s.tokenBalance(recipient); got.Cmp(received) != 0 {
		t.Errorf("the recipient named in the returns got %s more", got.Sub(got, received))
	}
	for svc, table := range map[string]string{"topup": "registrations", "withdraw": "withdrawals", "pay": "payments", "matcher": "orders"} {
		if got := s.query(svc, "SELECT COUNT(*) FROM "+table); got != "1" {
			t.Errorf("%s holds %s %s after the replays, want the one request", svc, got, table)
		}
	}
}

// checkMessageIDs: every return carries a message_id, the same for every
// delivery of it and different from every other return's.
func checkMessageIDs(t *testing.T, msgs []Message) {
	t.Helper()
	bodyOf := map[string]string{}
	idOf := map[string]string{}
	for _, m := range msgs {
		if m.MessageID == "" {
			t.Errorf("a return without message_id: %s", m.Body)
			continue
		}
		key := fmt.Sprintf("%s|%s|%d|%s", m.Str("request_id"), m.Str("event"), m.Num("status"), m.Str("deposit_id"))
		if prev, ok := idOf[key]; ok && prev != m.MessageID {
			t.Errorf("one return delivered under two ids %s and %s: %s", prev, m.MessageID, m.Body)
		}
		idOf[key] = m.MessageID
		if prev, ok := bodyOf[m.MessageID]; ok && prev != key {
			t.Errorf("message_id %s names two returns: %s and %s", m.MessageID, prev, key)
		}
		bodyOf[m.MessageID] = key
	}
}
