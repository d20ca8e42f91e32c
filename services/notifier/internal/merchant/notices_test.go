package merchant_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/service/servicetest"
	"paysuite/services/notifier/internal/alerts"
	"paysuite/services/notifier/internal/alerts/alertstest"
	"paysuite/services/notifier/internal/merchant"
	"paysuite/services/notifier/internal/store"
)

const (
	token  = "654321:MERCHANT-TOKEN"
	chatID = "-2002"
	secret = "merchant-test-sign-secret"
	page   = "https://pay.shop.example/checkout/Zm9vYmFyYmF6cXV4MTIzNA"
)

// newNotices returns notices sending to api through a fresh schema.
func newNotices(t *testing.T, gdb *gorm.DB, api *alertstest.Chat, minInterval time.Duration) *merchant.Notices {
	t.Helper()
	if gdb == nil {
		gdb = dbtest.Open(t, store.Migrations())
	}
	kinds, err := merchant.ParseKinds("all")
	if err != nil {
		t.Fatal(err)
	}
	return &merchant.Notices{DB: gdb, Kinds: kinds, SignSecrets: [][]byte{[]byte(secret)}, MinInterval: minInterval,
		Tick: 20 * time.Millisecond, RetryBase: 10 * time.Millisecond, Log: zerolog.Nop(),
		Sender: &alerts.Telegram{APIURL: api.Server.URL, Token: token, ChatID: chatID, Client: api.Server.Client()}}
}

// run runs n until the test ends.
func run(t *testing.T, n *merchant.Notices) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); _ = n.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// orderReturn is a return of order o-<id> signed by the suite, as the
// matcher publishes it.
func orderReturn(t *testing.T, id, event string, status int, extra map[string]any) broker.Delivery {
	t.Helper()
	fields := map[string]any{"request_id": "r-" + id, "order_id": "o-" + id, "event": event, "status": status,
		"chain": "ETH", "symbol": "USDT", "amount": "12.5", "pay_address": "0x" + strings.Repeat("ab", 20),
		"pay_amount": "12.5"}
	for k, v := range extra {
		fields[k] = v
	}
	body := servicetest.Sign(t, []byte(secret), fields, time.Now())
	return broker.Delivery{Body: body, MessageID: "r-" + id + ":" + event + ":" + string(rune('0'+status)) + ":" + extraKey(extra)}
}

func extraKey(extra map[string]any) string {
	b, _ := json.Marshal(extra)
	return string(b)
}

func handle(t *testing.T, n *merchant.Notices, ds ...broker.Delivery) {
	t.Helper()
	for _, d := range ds {
		if err := n.HandleQueue(t.Context(), d); err != nil {
			t.Fatalf("%s: %v", d.MessageID, err)
		}
	}
}

func waitMessages(t *testing.T, api *alertstest.Chat, n int) []string {
	t.Helper()
	servicetest.Eventually(t, "chat messages", func() bool { return len(api.Messages()) >= n })
	return api.Messages()
}

// TestEveryKindOfNoticeWithItsLink sends the returns of three orders through
// their lives: each notice names the order, amounts, token and chain(s), and
// links the checkout page, which only the created return carries.
func TestEveryKindOfNoticeWithItsLink(t *testing.T) {
	api := alertstest.NewChat(t, token, chatID)
	n := newNotices(t, nil, api, 0)
	run(t, n)
	created := func(id string, extra map[string]any) broker.Delivery {
		e := map[string]any{"checkout_url": page + id, "expires_at": 1900000000, "mode": "address"}
		for k, v := range extra {
			e[k] = v
		}
		return orderReturn(t, id, "created", 1, e)
	}
	tx := "0x" + strings.Repeat("cd", 32)
	steps := []struct {
		d    broker.Delivery
		want []string
	}{
		{created("1", nil), []string{"Order o-1 created: 12.5 USDT on ETH.", "Expires 2030-03-17 17:46 UTC", "Payment page: " + page + "1"}},
		{orderReturn(t, "1", "paid", 2, map[string]any{"paid_amount": "12.5", "tx_hash": tx, "late": false}),
			[]string{"Order o-1 payment seen: 12.5 USDT of 12.5 on ETH, waiting for confirmations.", tx, "Payment page: " + page + "1"}},
		{orderReturn(t, "1", "paid", 1, map[string]any{"paid_amount": "12.50", "tx_hash": tx, "late": false, "block_number": 9}),
			[]string{"Order o-1 paid: 12.50 USDT of 12.5 confirmed on ETH.", "Payment page: " + page + "1"}},
		{created("2", map[string]any{"chain": "*", "chains": "ETH,BSC", "pay_amount": "12.500001"}),
			[]string{"Order o-2 created: 12.5 USDT on ETH, BSC. To pay: 12.500001 USDT.", "Payment page: " + page + "2"}},
		{orderReturn(t, "2", "paid", 1, map[string]any{"chain": "BSC", "paid_amount": "10", "tx_hash": tx, "late": false, "block_number": 9}),
			[]string{"Order o-2 underpaid: 10 USDT of 12.5 confirmed on BSC.", "Payment page: " + page + "2"}},
		{orderReturn(t, "2", "expired", 0, map[string]any{"error": "expired", "paid_amount": "10"}),
			[]string{"Order o-2 expired underpaid: 10 USDT of 12.5 arrived on ETH.", "Payment page: " + page + "2"}},
		{created("3", nil), []string{"Order o-3 created", "Payment page: " + page + "3"}},
		{orderReturn(t, "3", "expired", 0, map[string]any{"error": "expired", "paid_amount": "0"}),
			[]string{"Order o-3 expired unpaid: 12.5 USDT on ETH.", "Request: r-3", "Payment page: " + page + "3"}},
	}
	for i, s := range steps {
		handle(t, n, s.d)
		msg := waitMessages(t, api, i+1)[i]
		for _, w := range s.want {
			if !strings.Contains(msg, w) {
				t.Fatalf("notice %d %q lacks %q", i+1, msg, w)
			}
		}
	}
}

// TestNoticesAreRateLimited: with a message sent, the notices that follow
// within the interval wait, across replicas, and then go out joined in one
// message; nothing is lost.
func TestNoticesAreRateLimited(t *testing.T) {
	api := alertstest.NewChat(t, token, chatID)
	slow := newNotices(t, nil, api, time.Hour)
	handle(t, slow, orderReturn(t, "1", "created", 1, nil))
	if err := slow.SendDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	handle(t, slow, orderReturn(t, "2", "created", 1, nil), orderReturn(t, "3", "created", 1, nil))
	if err := slow.SendDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	if msgs := api.Messages(); len(msgs) != 1 || !strings.Contains(msgs[0], "o-1") {
		t.Fatalf("within the interval: %q", msgs)
	}
	if n := count(t, slow.DB, "pending"); n != 2 {
		t.Fatalf("%d notices waiting, want 2", n)
	}
	// Another replica, whose interval is over, sends both in one message.
	other := newNotices(t, slow.DB, api, time.Nanosecond)
	if err := other.SendDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	msgs := api.Messages()
	if len(msgs) != 2 || !strings.Contains(msgs[1], "o-2 created") || !strings.Contains(msgs[1], "o-3 created") {
		t.Fatalf("after the interval: %q", msgs)
	}
	if n := count(t, slow.DB, "sent"); n != 3 {
		t.Fatalf("%d notices sent, want 3", n)
	}
}

// TestFailingChatRetried: a notice the chat refuses is tried again, and sent
// once the chat accepts it.
func TestFailingChatRetried(t *testing.T) {
	api := alertstest.NewChat(t, token, chatID)
	api.Fail(true)
	n := newNotices(t, nil, api, 0)
	run(t, n)
	handle(t, n, orderReturn(t, "1", "created", 1, nil))
	servicetest.Eventually(t, "a refused attempt", func() bool { return api.Failed() > 0 })
	api.Fail(false)
	msgs := waitMessages(t, api, 1)
	if len(msgs) != 1 || !strings.Contains(msgs[0], "o-1 created") {
		t.Fatalf("messages: %q", msgs)
	}
}

// TestRefusedNoticeDroppedAfterMaxAttempts: a notice the chat keeps refusing
// is dropped after MaxAttempts, not retried for ever.
func TestRefusedNoticeDroppedAfterMaxAttempts(t *testing.T) {
	api := alertstest.NewChat(t, token, chatID)
	api.Fail(true)
	n := newNotices(t, nil, api, 0)
	n.MaxAttempts = 3
	handle(t, n, orderReturn(t, "1", "created", 1, nil))
	run(t, n)
	servicetest.Eventually(t, "three refused attempts, then the notice dropped", func() bool {
		return api.Failed() == 3 && count(t, n.DB, "dropped") == 1
	})
	if err := n.SendDue(t.Context()); err != nil || api.Failed() != 3 {
		t.Fatalf("a dropped notice was tried again: %d attempts, %v", api.Failed(), err)
	}
}

// TestNothingStoredOrSentWhenOff: without a chat nothing is recorded; with
// some kinds chosen, only those are; a return seen twice is one notice; a
// refused order and a rejected message are none; a return the suite did not
// sign is dead-lettered.
func TestNothingStoredOrSentWhenOff(t *testing.T) {
	api := alertstest.NewChat(t, token, chatID)
	n := newNotices(t, nil, api, 0)

	off := newNotices(t, n.DB, api, 0)
	off.Sender = nil
	handle(t, off, orderReturn(t, "1", "created", 1, nil))
	if c := count(t, n.DB, "pending"); c != 0 {
		t.Fatalf("%d notices stored while off", c)
	}

	n.Kinds, _ = merchant.ParseKinds("paid, expired")
	paid := orderReturn(t, "2", "paid", 1, map[string]any{"paid_amount": "12.5", "block_number": 1, "late": false})
	handle(t, n, orderReturn(t, "2", "created", 1, nil), paid, paid,
		orderReturn(t, "2", "paid", 2, map[string]any{"paid_amount": "12.5", "late": false}),
		orderReturn(t, "3", "created", 0, map[string]any{"error": "invalid_amount"}),
		orderReturn(t, "", "rejected", 0, map[string]any{"error": "bad_signature"}))
	if c := count(t, n.DB, "pending"); c != 1 {
		t.Fatalf("%d notices stored, want 1 (the paid one)", c)
	}

	forged := orderReturn(t, "4", "created", 1, nil)
	forged.Body = []byte(strings.Replace(string(forged.Body), `"12.5"`, `"1"`, 1))
	if _, ok := broker.IsPoison(n.HandleQueue(t.Context(), forged)); !ok {
		t.Fatal("a return the suite did not sign was accepted")
	}
	if _, err := merchant.ParseKinds("paid,refunded"); err == nil {
		t.Fatal("an unknown kind was accepted")
	}
}

func count(t *testing.T, gdb *gorm.DB, state string) int {
	t.Helper()
	var n int
	if err := gdb.Raw("SELECT COUNT(*) FROM merchant_notices WHERE state = ?", state).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}
