package app_test

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
	"paysuite/services/notifier/internal/alerts/alertstest"
	"paysuite/services/notifier/internal/app"
	"paysuite/services/notifier/internal/merchant"
)

const (
	merchantToken = "777:MERCHANT-TOKEN"
	merchantChat  = "-3003"
)

// TestMerchantNoticesFromPublishedReturns runs the notifier with merchant
// notices on: the order returns the suite publishes to the exchange reach
// the merchant's chat with the order's page; a return the suite did not sign
// is dead-lettered and never reaches it.
func TestMerchantNoticesFromPublishedReturns(t *testing.T) {
	chat := alertstest.NewChat(t, merchantToken, merchantChat)
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := "notifier-merchant-" + hex.EncodeToString(b[:])
	public, internal := openVhost(t, name), openVhost(t, name+"-internal")
	dbc := dbtest.Config(t)
	servicetest.Start(t, map[string]string{
		"DEV_MODE": "true", "SIGN_SECRET": signSecret, "INTERNAL_SECRET": internalSecret,
		"AMQP_URL": public.url, "AMQP_INTERNAL_URL": internal.url, "MYSQL_DSN": dbc.DSN, "MYSQL_SCHEMA": dbc.Schema,
		"HTTP_ADDR": "127.0.0.1:0", "WEBHOOK_SECRET": webhookSecret, "TELEGRAM_API_URL": chat.Server.URL,
		"TELEGRAM_BOT_TOKEN": "", "TELEGRAM_CHAT_ID": "",
		"MERCHANT_TELEGRAM_BOT_TOKEN": merchantToken, "MERCHANT_TELEGRAM_CHAT_ID": merchantChat,
		"MERCHANT_NOTICES": "created,paid", "MERCHANT_MIN_INTERVAL": "1ms",
	}, app.Run)
	public.WaitConsumers(merchant.QueueName)

	link := "http://127.0.0.1:8090/checkout/dGVzdC1jaGVja291dC10b2tlbg"
	publish := func(id string, fields map[string]any) {
		base := map[string]any{"request_id": "m-1", "order_id": "shop-1", "chain": "ETH", "symbol": "USDT",
			"amount": "5", "pay_address": "0x" + strings.Repeat("12", 20), "pay_amount": "5"}
		for k, v := range fields {
			base[k] = v
		}
		public.Publish("pay.exchange", "pay.order.return", id, servicetest.Sign(t, []byte(signSecret), base, time.Now()))
	}
	forged := servicetest.Sign(t, []byte("not-the-suite"), map[string]any{"request_id": "m-2", "order_id": "FORGED",
		"event": "created", "status": 1, "chain": "ETH", "symbol": "USDT", "amount": "1"}, time.Now())
	public.Publish("pay.exchange", "pay.order.return", "m-2:created", forged)
	publish("m-1:created", map[string]any{"event": "created", "status": 1, "expires_at": time.Now().Unix() + 900,
		"mode": "address", "checkout_url": link})
	publish("m-1:paid:2", map[string]any{"event": "paid", "status": 2, "paid_amount": "5", "tx_hash": "0x" + strings.Repeat("ef", 32), "late": false})
	publish("m-1:paid:1", map[string]any{"event": "paid", "status": 1, "paid_amount": "5", "tx_hash": "0x" + strings.Repeat("ef", 32),
		"late": false, "block_number": 7})

	servicetest.Eventually(t, "the created and paid notices", func() bool { return len(chat.Messages()) >= 2 })
	public.waitSettled(merchant.QueueName)
	msgs := strings.Join(chat.Messages(), "\n\n")
	for _, want := range []string{"Order shop-1 created: 5 USDT on ETH.", "Order shop-1 paid: 5 USDT of 5 confirmed on ETH."} {
		if !strings.Contains(msgs, want) {
			t.Fatalf("chat lacks %q:\n%s", want, msgs)
		}
	}
	if strings.Count(msgs, "Payment page: "+link) != 2 || strings.Contains(msgs, "seen") || strings.Contains(msgs, "FORGED") {
		t.Fatalf("chat:\n%s", msgs)
	}
	servicetest.Eventually(t, "the forged return dead-lettered", func() bool {
		info, err := public.Inspect(deadQueue)
		return err == nil && info.Messages == 1
	})
}

// TestMerchantNoticesOffByDefault: without a merchant chat the notifier has
// no queue of order returns, so nothing is read, stored or sent.
func TestMerchantNoticesOffByDefault(t *testing.T) {
	n := startNotifier(t)
	if n.cfg.MerchantEnabled() {
		t.Fatal("merchant notices on without MERCHANT_TELEGRAM_CHAT_ID")
	}
	n.internal.WaitConsumers(events.AlertQueue)
	if _, ok := n.public.queues()[merchant.QueueName]; ok {
		t.Fatalf("%s declared while merchant notices are off", merchant.QueueName)
	}
}
