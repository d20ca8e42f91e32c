package e2e

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"paysuite/pkg/events"
)

// delivery is one line of `notifier deliveries --json`.
type delivery struct {
	ID        uint64 `json:"id"`
	WebhookID string `json:"webhook_id"`
	RequestID string `json:"request_id"`
	State     string `json:"state"`
	Attempts  int    `json:"attempts"`
	URL       string `json:"url"`
}

// attempt is one line of `notifier attempts --json`.
type attempt struct {
	Attempt    int     `json:"attempt"`
	StatusCode *int    `json:"status_code"`
	Error      *string `json:"error"`
	DurationMS int64   `json:"duration_ms"`
}

func jsonLines[T any](t testing.TB, out string) []T {
	t.Helper()
	var rows []T
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var row T
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("%q: %v", sc.Text(), err)
		}
		rows = append(rows, row)
	}
	return rows
}

// deliveriesOf lists, with the operator command, the deliveries of requestID.
func deliveriesOf(s *Suite, requestID string, failed bool) []delivery {
	args := []string{"deliveries", "--json", "--request-id", requestID}
	if failed {
		args = append(args, "--failed")
	}
	return jsonLines[delivery](s.t, s.RunCommand("notifier", nil, args...))
}

func startNotifier(t *testing.T, extra ...string) (*Suite, *Collector) {
	s := NewSuite(t)
	s.Start("matcher", haltOnRace)
	s.Start("notifier", append([]string{haltOnRace, "WEBHOOK_POLL_INTERVAL=100ms"}, extra...)...)
	s.WaitConsumers(orderQueue, 1)
	s.WaitConsumers(events.WebhookQueue, 1)
	s.WaitConsumers(alertQueue, 1)
	return s, s.Collect(orderReturn)
}

// TestWebhookRetriesGoneAndSlowEndpoint: the returns of orders with a
// callback_url are POSTed there, signed. A receiver failing three times gets
// four attempts (all recorded) and one delivery; one answering 410 gets no
// more attempts, until an operator redelivers; receivers that never answer do
// not hold up a healthy one.
func TestWebhookRetriesGoneAndSlowEndpoint(t *testing.T) {
	s, c := startNotifier(t, "WEBHOOK_RETRY_SCHEDULE=300ms,300ms,300ms,1h", "WEBHOOK_TIMEOUT=60s",
		"WEBHOOK_HOST_CONCURRENCY=2", "WEBHOOK_WORKERS=4")
	flaky := NewReceiver(t, func(n int) int {
		if n <= 3 {
			return 500
		}
		return 200
	})
	var goneMode atomic.Bool
	goneMode.Store(true)
	gone := NewReceiver(t, func(int) int {
		if goneMode.Load() {
			return 410
		}
		return 200
	})
	hang := NewReceiver(t, func(int) int { return 0 })
	healthy := NewReceiver(t, func(int) int { return 204 })

	order := func(id, callback string) Message {
		return openOrder(t, s, c, map[string]any{"request_id": id, "order_id": "o-" + id, "amount": "1", "callback_url": callback})
	}
	for i := range 3 {
		order(fmt.Sprintf("wh-hang-%d", i), hang.URL)
	}
	deadline := time.Now().Add(wait)
	for hang.Hanging() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the unanswering receiver was never called")
		}
		time.Sleep(20 * time.Millisecond)
	}
	flakyCreated := order("wh-flaky", flaky.URL)
	order("wh-gone-1", gone.URL)
	okCreated := order("wh-ok", healthy.URL)

	okCall := waitCalls(t, healthy, "healthy receiver", 1)[0]
	if hang.Hanging() < 2 {
		t.Fatalf("the unanswered attempts ended before the healthy delivery")
	}
	t.Logf("healthy webhook delivered %s after its return, while %d attempts hang", okCall.At.Sub(okCreated.At), hang.Hanging())
	if okCall.Body != string(okCreated.Body) || okCall.ID != okCreated.MessageID {
		t.Fatalf("webhook %s is not the return %s exactly:\n%s\n%s", okCall.ID, okCreated.MessageID, okCall.Body, okCreated.Body)
	}

	calls := waitCalls(t, flaky, "four attempts", 4)
	for i, call := range calls {
		if call.ID != calls[0].ID || call.Body != string(flakyCreated.Body) {
			t.Fatalf("attempt %d differs: %+v", i+1, call)
		}
	}
	flakyDel := deliveriesOf(s, "wh-flaky", false)
	if len(flakyDel) != 1 || flakyDel[0].WebhookID != calls[0].ID {
		t.Fatalf("deliveries of wh-flaky: %+v", flakyDel)
	}
	// The state is written just after the answer: wait for it.
	for deadline := time.Now().Add(wait); flakyDel[0].State != "delivered"; flakyDel = deliveriesOf(s, "wh-flaky", false) {
		if time.Now().After(deadline) {
			t.Fatalf("wh-flaky: %+v", flakyDel)
		}
		time.Sleep(100 * time.Millisecond)
	}
	atts := jsonLines[attempt](t, s.RunCommand("notifier", nil, "attempts", "--json", fmt.Sprint(flakyDel[0].ID)))
	if len(atts) != 4 {
		t.Fatalf("%d attempts recorded, want 4", len(atts))
	}
	for i, a := range atts {
		want := 500
		if i == 3 {
			want = 200
		}
		if a.Attempt != i+1 || a.StatusCode == nil || *a.StatusCode != want {
			t.Fatalf("attempt %d recorded as %+v", i+1, a)
		}
	}

	// 410: one call, and the endpoint is retired for later returns too.
	order("wh-gone-2", gone.URL)
	var goneDel []delivery
	for deadline := time.Now().Add(wait); ; {
		goneDel = append(deliveriesOf(s, "wh-gone-1", true), deliveriesOf(s, "wh-gone-2", true)...)
		if len(goneDel) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gone deliveries: %+v", goneDel)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := len(gone.Calls()); n != 1 || goneDel[0].State != "gone" || goneDel[1].State != "gone" || goneDel[1].Attempts != 0 {
		t.Fatalf("%d calls to the gone endpoint; deliveries %+v", n, goneDel)
	}
	goneMode.Store(false)
	out := s.RunCommand("notifier", nil, "redeliver", fmt.Sprint(goneDel[0].ID))
	if !strings.Contains(out, "queued again") {
		t.Fatalf("redeliver: %q", out)
	}
	redelivered := waitCalls(t, gone, "redelivery", 2)[1]
	if redelivered.ID != gone.Calls()[0].ID || redelivered.Status != 200 {
		t.Fatalf("redelivery: %+v", redelivered)
	}

	// Nothing more reaches the receivers that answered.
	time.Sleep(time.Second)
	if n := len(flaky.Calls()); n != 4 {
		t.Fatalf("%d calls to the flaky receiver, want 4", n)
	}
	if n := len(healthy.Calls()); n != 1 {
		t.Fatalf("%d calls to the healthy receiver, want 1", n)
	}
	if n := len(gone.Calls()); n != 2 {
		t.Fatalf("%d calls to the gone receiver, want 2", n)
	}
	for _, r := range []*Receiver{flaky, gone, hang, healthy} {
		r.CheckSignatures()
	}
}

// TestAlertTelegramRefusedWithdrawalsAndDeadLetters: withdrawals refused for
// lack of funds (each raising a low_balance alert in withdraw) and a non-empty
// dead-letter queue each produce one Telegram message, not one per message or
// per check. The refusals are delivered as webhooks too.
func TestAlertTelegramRefusedWithdrawalsAndDeadLetters(t *testing.T) {
	const token, chat = "4242:test-token", "-1001234"
	bot := NewBotAPI(t, token, chat)
	s, _ := startNotifier(t, "TELEGRAM_BOT_TOKEN="+token, "TELEGRAM_CHAT_ID="+chat, "TELEGRAM_API_URL="+bot.URL,
		"ALERT_DLQ_INTERVAL=300ms", "ALERT_MIN_INTERVAL=1h")
	s.startPayout("withdraw", "withdraw", withdrawQueue, 1, "DEV_FUND_TOKENS=1000")
	withdrawReturns := s.Collect(withdrawReturn)
	rcv := NewReceiver(t, func(int) int { return 200 })

	const refusals = 3
	for i := range refusals {
		s.Publish(withdrawKey, map[string]any{"request_id": fmt.Sprintf("wd-%d", i),
			"to_address": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "amount": "5000", "callback_url": rcv.URL})
	}
	returns := withdrawReturns.WaitFor(t, "withdraw returns", wait, func(ms []Message) bool { return len(ms) >= refusals })
	ids := map[string]string{} // message_id -> body
	for _, m := range returns {
		s.CheckReturn("withdraw.return.withdraw", m)
		if m.Num("status") != 0 || m.Str("error") != "insufficient_balance" {
			t.Fatalf("withdrawal not refused for lack of funds: %s", m.Body)
		}
		ids[m.MessageID] = string(m.Body)
	}
	for _, call := range waitCalls(t, rcv, "withdraw webhooks", refusals) {
		if body, ok := ids[call.ID]; !ok || body != call.Body {
			t.Fatalf("webhook %s is not a return: %s", call.ID, call.Body)
		}
	}

	for range 4 {
		s.PublishRaw(orderKey, []byte("not json at all"))
	}
	deadline := time.Now().Add(wait)
	for len(bot.Messages()) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("chat messages: %q", bot.Messages())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Several dead-letter checks later, still one message per incident.
	time.Sleep(2 * time.Second)
	msgs := bot.Messages()
	var lowBalance, deadLetters int
	for _, m := range msgs {
		switch {
		case strings.Contains(m, "low_balance") && strings.Contains(m, "from withdraw") && strings.Contains(m, "insufficient_balance"):
			lowBalance++
		case strings.Contains(m, "dead_letters") && strings.Contains(m, "pay.dead.queue"):
			deadLetters++
		default:
			t.Errorf("unexpected chat message %q", m)
		}
	}
	if lowBalance != 1 || deadLetters != 1 {
		t.Fatalf("chat messages %q: want one low_balance and one dead_letters", msgs)
	}
	rcv.CheckSignatures()
}

// TestWebhooksOfRequestStraightToQueue publishes a signed order with a
// callback_url straight to its queue through the default exchange, as a
// business system may, and pays it on chain: its created return and both
// paid returns (seen, then confirmed) arrive as webhooks whose bodies are the
// returns of the return queue byte for byte, whose webhook-id is each
// return's message_id, and that verify with the official Standard Webhooks
// library.
func TestWebhooksOfRequestStraightToQueue(t *testing.T) {
	s := NewSuite(t)
	s.Start("chain-listener", haltOnRace)
	s.Start("matcher", haltOnRace)
	s.Start("notifier", haltOnRace, "WEBHOOK_POLL_INTERVAL=100ms")
	s.WaitConsumers(listenerWatch, 1)
	s.WaitConsumers(orderQueue, 1)
	s.WaitConsumers(events.WebhookQueue, 1)
	c := s.Collect(orderReturn)
	rcv := NewReceiver(t, func(int) int { return 204 })

	const id = "straight-1"
	body := s.sealRequest(map[string]any{"request_id": id, "order_id": "o-" + id, "amount": "7.5", "callback_url": rcv.URL})
	if err := tryPublish(t.Context(), s.AMQPURL, "", orderQueue, body); err != nil {
		t.Fatal(err)
	}
	created := waitOrder(t, c, "created "+id, 1, returnOf(id, "created"))[0]
	s.CheckReturn("order.return.created", created)
	if created.Num("status") != 1 {
		t.Fatalf("order refused: %s", created.Body)
	}
	s.SendUSDT(1, created.Str("pay_address"), created.Str("pay_amount"))
	s.Mine(1)
	seen := waitOrder(t, c, "seen payment", 1, paidOf(id, 2))[0]
	s.Mine(confirmations)
	confirmed := waitOrder(t, c, "confirmed payment", 1, paidOf(id, 1))[0]

	wh, err := standardwebhooks.NewWebhook("whsec_" + base64.StdEncoding.EncodeToString([]byte(devWebhookSecret)))
	if err != nil {
		t.Fatal(err)
	}
	returns := []Message{created, seen, confirmed}
	calls := waitCalls(t, rcv, "three webhooks", len(returns))
	for _, ret := range returns {
		s.CheckReturn("order.return."+ret.Str("event"), ret)
		var got []hook
		for _, call := range calls {
			if call.ID == ret.MessageID {
				got = append(got, call)
			}
		}
		if len(got) != 1 || got[0].Body != string(ret.Body) {
			t.Fatalf("return %s (message_id %q): webhooks %+v", ret.Body, ret.MessageID, got)
		}
		if err := wh.Verify([]byte(got[0].Body), got[0].Header); err != nil {
			t.Errorf("webhook %s does not verify: %v", got[0].ID, err)
		}
	}
	if len(calls) != len(returns) {
		t.Fatalf("%d webhooks for %d returns", len(calls), len(returns))
	}
	rcv.CheckSignatures()
}
