package alerts_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/rs/zerolog"

	"paysuite/pkg/broker/brokertest"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/events"
	"paysuite/services/notifier/internal/alerts"
	"paysuite/services/notifier/internal/alerts/alertstest"
	"paysuite/services/notifier/internal/store"
)

const token = "123456:SECRET-TOKEN"

func newAlerter(t *testing.T, api *alertstest.Chat, minInterval time.Duration) *alerts.Alerter {
	gdb := dbtest.Open(t, store.Migrations())
	a := &alerts.Alerter{DB: gdb, MinInterval: minInterval, Tick: 20 * time.Millisecond, Log: zerolog.Nop(),
		Sender: &alerts.Telegram{APIURL: api.Server.URL, Token: token, ChatID: "-1001", Client: api.Server.Client()}}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return a
}

func waitMessages(t *testing.T, api *alertstest.Chat, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(api.Messages()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("got %d chat messages, want %d: %q", len(api.Messages()), n, api.Messages())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return api.Messages()
}

func TestIncidentSendsFirstAlertThenOneSummary(t *testing.T) {
	api := alertstest.NewChat(t, token, "-1001")
	a := newAlerter(t, api, 3*time.Second) // far longer than raising 51 alerts takes, even on a busy machine
	raise := func(kind, key, msg string) {
		if err := a.Raise(t.Context(), events.Alert{Kind: kind, Key: key, Service: "withdraw", Message: msg}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		raise(events.AlertLowBalance, "0xhot", "balance low #"+string(rune('a'+i%26)))
	}
	raise(events.AlertLowBalance, "0xother", "another wallet")
	msgs := waitMessages(t, api, 2)
	if !strings.Contains(msgs[0], "low_balance (0xhot) from withdraw: balance low #a") || !strings.Contains(msgs[1], "0xother") {
		t.Fatalf("messages: %q", msgs)
	}
	// After the interval, one summary with the count held back; nothing else.
	msgs = waitMessages(t, api, 3)
	if !strings.Contains(msgs[2], "49 more alert(s)") {
		t.Fatalf("summary: %q", msgs[2])
	}
	deadline := time.Now().Add(1500 * time.Millisecond)
	for time.Now().Before(deadline) {
		if n := len(api.Messages()); n != 3 {
			t.Fatalf("%d messages, want 3: %q", n, api.Messages())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestChatFailureRetried(t *testing.T) {
	api := alertstest.NewChat(t, token, "-1001")
	api.Fail(true)
	a := newAlerter(t, api, time.Hour)
	if err := a.Raise(t.Context(), events.Alert{Kind: events.AlertPayoutFailed, Key: "withdraw:reverted", Message: "w-1"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if api.Failed() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the chat was never tried")
		}
		time.Sleep(10 * time.Millisecond)
	}
	api.Fail(false)
	msgs := waitMessages(t, api, 1)
	if !strings.Contains(msgs[0], "payout_failed") {
		t.Fatalf("message: %q", msgs[0])
	}
}

func TestTelegramErrorsDoNotLeakToken(t *testing.T) {
	tg := &alerts.Telegram{APIURL: "http://127.0.0.1:1", Token: token, ChatID: "1"}
	err := tg.Send(t.Context(), "x")
	if err == nil || strings.Contains(err.Error(), "SECRET-TOKEN") {
		t.Fatalf("error %v", err)
	}
}

// TestDeadLetterQueueAlertsOnce fills a dead-letter queue of the real broker
// and checks it repeatedly: one alert, not one per check or per message.
func TestDeadLetterQueueAlertsOnce(t *testing.T) {
	url := brokertest.URL
	_, ch := brokertest.RawChannel(t, url, false)
	var b [4]byte
	_, _ = rand.Read(b[:])
	queue := "test.dead." + hex.EncodeToString(b[:])
	if _, err := ch.QueueDeclare(queue, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = ch.QueueDelete(queue, false, false, false) })

	api := alertstest.NewChat(t, token, "-1001")
	a := newAlerter(t, api, time.Hour)
	w := &alerts.DeadLetterWatch{URL: url, Queue: queue, Interval: time.Hour, Alerter: a, Log: zerolog.Nop()}
	t.Cleanup(func() { _ = w.Run(canceled()) }) // closes its connection
	if err := w.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := ch.PublishWithContext(t.Context(), "", queue, false, false, amqp.Publishing{Body: []byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if q.Messages == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue holds %d messages", q.Messages)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for range 4 {
		if err := w.Check(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	msgs := waitMessages(t, api, 1)
	if !strings.Contains(msgs[0], "dead_letters") || !strings.Contains(msgs[0], "3 message(s)") {
		t.Fatalf("message: %q", msgs[0])
	}
	time.Sleep(200 * time.Millisecond) // room for a (wrong) second message
	if n := len(api.Messages()); n != 1 {
		t.Fatalf("%d messages, want 1: %q", n, api.Messages())
	}
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// TestLongNonASCIIAlertSent raises an alert whose texts are longer than their
// columns and not ASCII: it is recorded and sent, cut at a character.
func TestLongNonASCIIAlertSent(t *testing.T) {
	api := alertstest.NewChat(t, token, "-1001")
	a := newAlerter(t, api, time.Hour)
	key, msg := strings.Repeat("€", 300), strings.Repeat("é", 3000)
	if err := a.Raise(t.Context(), events.Alert{Kind: strings.Repeat("ü", 100), Key: key, Service: "withdraw",
		Message: msg}); err != nil {
		t.Fatal(err)
	}
	sent := waitMessages(t, api, 1)[0]
	want := "[paysuite] " + strings.Repeat("ü", 64) + " (" + strings.Repeat("€", 191) + ") from withdraw: " +
		strings.Repeat("é", 1000)
	if sent != want {
		t.Fatalf("sent %d characters %.80q..., want the texts cut to 64, 191 and 1000 characters", len([]rune(sent)), sent)
	}
}

// TestAlertsOnTwoChainsAreTwoIncidents raises the same kind and key on ETH and
// on BSC: each is sent at once (not held back as a repeat of the other) and
// names its chain.
func TestAlertsOnTwoChainsAreTwoIncidents(t *testing.T) {
	api := alertstest.NewChat(t, token, "-1001")
	a := newAlerter(t, api, time.Hour)
	for _, chain := range []string{"ETH", "BSC", "BSC"} {
		err := a.Raise(t.Context(), events.Alert{Kind: events.AlertLowBalance, Key: "0xhot", Chain: chain, Service: "withdraw", Message: "low on gas"})
		if err != nil {
			t.Fatal(err)
		}
	}
	msgs := waitMessages(t, api, 2)
	if !strings.Contains(msgs[0], "low_balance (0xhot) on ETH from withdraw: low on gas") ||
		!strings.Contains(msgs[1], "low_balance (0xhot) on BSC from withdraw: low on gas") {
		t.Fatalf("messages: %q", msgs)
	}
}
