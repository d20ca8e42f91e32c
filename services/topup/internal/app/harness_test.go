package app_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os/exec"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	pkgconfig "paysuite/pkg/config"
	"paysuite/pkg/contract"
	"paysuite/pkg/db"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/events"
	"paysuite/pkg/sign"
	"paysuite/pkg/witness/witnesstest"
	"paysuite/services/topup/internal/app"
	"paysuite/services/topup/internal/config"
	"paysuite/services/topup/internal/store"
)

// depth is the confirmation depth of the tests.
const depth = 2

// suite is topup running in-process against the real broker (a public and an
// internal virtual host of its own), a schema of its own and a development
// chain. The test plays the business system on the public side and the
// chain-listener, genuine or compromised, on the internal side.
type suite struct {
	t        *testing.T
	cfg      config.Config
	chain    *witnesstest.Chain
	db       *gorm.DB
	public   *amqp.Channel
	internal *amqp.Channel
	keys     events.Keys
	// returns, dead, alerts and webhooks receive the return queue, and the
	// internal side's dead-letter, alert and webhook queues.
	returns, dead, alerts, webhooks <-chan amqp.Delivery
}

func start(t *testing.T) *suite {
	t.Helper()
	chain := witnesstest.Start(t)
	id := randomID()
	publicURL, internalURL := vhost(t, "t-topup-"+id), vhost(t, "t-topup-"+id+"-internal")
	dbCfg := dbtest.Config(t)
	for k, v := range map[string]string{
		"DEV_MODE": "true", "SIGN_SECRET": "topup-app-secret", "INTERNAL_SECRET": "topup-app-internal-secret",
		"AMQP_URL": publicURL, "AMQP_INTERNAL_URL": internalURL, "AMQP_REQUEUE_DELAY": "50ms",
		"MYSQL_DSN": dbCfg.DSN, "MYSQL_SCHEMA": dbCfg.Schema, "ETH_RPC_URL": chain.Dev.HTTPURL(),
		"CONFIRMATIONS": "2", "HTTP_ADDR": "127.0.0.1:0",
	} {
		t.Setenv(k, v)
	}
	cfg, err := pkgconfig.Load[config.Config]()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := events.NewKeys(cfg.InternalSecrets()...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx, cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("topup: %v", err)
		}
	})
	s := &suite{t: t, cfg: cfg, chain: chain, keys: keys}
	s.public = channel(t, publicURL, cfg.Names.TopupReturnQueue)
	s.internal = channel(t, internalURL, events.TransferQueue(events.OwnerTopup))
	s.returns = consume(t, s.public, cfg.Names.TopupReturnQueue)
	s.dead = consume(t, s.internal, cfg.Broker.DeadQueue)
	s.alerts = consume(t, s.internal, events.AlertQueue)
	s.webhooks = consume(t, s.internal, events.WebhookQueue)
	gdb, err := db.Open(t.Context(), dbCfg, store.Migrations(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := gdb.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	s.db = gdb
	return s
}

func randomID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// vhost creates a virtual host for the test and returns its URL.
func vhost(t *testing.T, name string) string {
	t.Helper()
	rabbitmqctl(t, "add_vhost", name)
	t.Cleanup(func() { rabbitmqctl(t, "delete_vhost", name) })
	rabbitmqctl(t, "set_permissions", "-p", name, "guest", ".*", ".*", ".*")
	return "amqp://guest:guest@127.0.0.1:5672/" + url.PathEscape(name)
}

func rabbitmqctl(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("rabbitmqctl", args...).CombinedOutput(); err != nil {
		t.Fatalf("rabbitmqctl %v: %v\n%s", args, err, out)
	}
}

// channel opens a channel on the virtual host at u once the service has
// declared queue there.
func channel(t *testing.T, u, queue string) *amqp.Channel {
	t.Helper()
	conn, err := amqp.Dial(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		ch, err := conn.Channel()
		if err != nil {
			t.Fatal(err)
		}
		if _, err = ch.QueueDeclarePassive(queue, true, false, false, false, nil); err == nil {
			return ch
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue %s not declared: %v", queue, err)
		}
		time.Sleep(50 * time.Millisecond) // polls the broker until the service declared its topology
	}
}

func consume(t *testing.T, ch *amqp.Channel, queue string) <-chan amqp.Delivery {
	t.Helper()
	ds, err := ch.Consume(queue, "", true, false, false, false, nil)
	if err != nil {
		t.Fatalf("consume %s: %v", queue, err)
	}
	return ds
}

// request publishes fields as a request to pay.topup.queue, signed at ts
// when secret is set.
func (s *suite) request(fields map[string]any, secret []byte, ts time.Time) {
	s.t.Helper()
	body, err := json.Marshal(fields)
	if secret != nil {
		body, err = sign.Seal(secret, fields, ts)
	}
	if err != nil {
		s.t.Fatal(err)
	}
	s.publishRequest(body)
}

// publishRequest sends body straight to the request queue, as a business
// system may.
func (s *suite) publishRequest(body []byte) {
	s.t.Helper()
	err := s.public.PublishWithContext(s.t.Context(), "", s.cfg.Names.TopupQueue, false, false,
		amqp.Publishing{Body: body, ContentType: "application/json", DeliveryMode: amqp.Persistent})
	if err != nil {
		s.t.Fatal(err)
	}
}

// transfer publishes ev to topup's transfer queue sealed with keys, as the
// chain-listener does (or one holding its secret).
func (s *suite) transfer(keys events.Keys, ev events.Transfer) {
	s.t.Helper()
	key := events.TransferKey(events.OwnerTopup)
	body, err := keys.Seal(key, ev)
	if err != nil {
		s.t.Fatal(err)
	}
	s.publishInternal(key, body)
}

func (s *suite) publishInternal(key string, body []byte) {
	s.t.Helper()
	err := s.internal.PublishWithContext(s.t.Context(), events.Exchange, key, false, false,
		amqp.Publishing{Body: body, ContentType: "application/json", DeliveryMode: amqp.Persistent})
	if err != nil {
		s.t.Fatal(err)
	}
}

// ret is one return as a business system reads it.
type ret struct {
	body      []byte
	messageID string
	fields    map[string]any
}

func (r ret) str(name string) string { s, _ := r.fields[name].(string); return s }
func (r ret) num(name string) int    { n, _ := r.fields[name].(float64); return int(n) }

// next waits for the next return.
func (s *suite) next() ret {
	s.t.Helper()
	select {
	case d := <-s.returns:
		r := ret{body: d.Body, messageID: d.MessageId}
		if err := json.Unmarshal(d.Body, &r.fields); err != nil {
			s.t.Fatalf("return %s: %v", d.Body, err)
		}
		f, _ := sign.ParseFields(d.Body)
		if err := sign.Verify([]byte(s.cfg.SignSecret), f); err != nil {
			s.t.Fatalf("return not signed: %s", d.Body)
		}
		return r
	case <-time.After(30 * time.Second):
		s.t.Fatal("no return within 30s")
		return ret{}
	}
}

// expect waits for the next return and checks its request_id, event, status
// and error.
func (s *suite) expect(requestID, event string, status int, code string) ret {
	s.t.Helper()
	r := s.next()
	if r.str("request_id") != requestID || r.str("event") != event || r.num("status") != status || r.str("error") != code {
		s.t.Fatalf("return %s, want %s %s status %d %s", r.body, requestID, event, status, code)
	}
	return r
}

// deadLetter waits for the next message dead-lettered on the internal side
// and returns its reason.
func (s *suite) deadLetter() string {
	s.t.Helper()
	select {
	case d := <-s.dead:
		reason, _ := d.Headers[broker.HeaderDeadReason].(string)
		return reason
	case <-time.After(30 * time.Second):
		s.t.Fatal("nothing dead-lettered within 30s")
		return ""
	}
}

// alert waits for the next operator alert and opens it.
func (s *suite) alert() events.Alert {
	s.t.Helper()
	select {
	case d := <-s.alerts:
		data, err := s.keys.Open(broker.Delivery{Body: d.Body, RoutingKey: d.RoutingKey})
		var a events.Alert
		if err != nil || json.Unmarshal(data, &a) != nil {
			s.t.Fatalf("alert %s: %v", d.Body, err)
		}
		return a
	case <-time.After(30 * time.Second):
		s.t.Fatal("no alert within 30s")
		return events.Alert{}
	}
}

// webhook waits for the next message to the notifier and checks that it
// opens with the suite's keys and hands over r, byte for byte, for callback.
func (s *suite) webhook(r ret, callback string) {
	s.t.Helper()
	select {
	case d := <-s.webhooks:
		data, err := s.keys.Open(broker.Delivery{Body: d.Body, RoutingKey: d.RoutingKey})
		var w events.Webhook
		if err != nil || json.Unmarshal(data, &w) != nil {
			s.t.Fatalf("webhook %s: %v", d.Body, err)
		}
		if w.Flow != contract.FlowTopup || w.RequestID != r.str("request_id") || w.CallbackURL != callback ||
			w.MessageID != r.messageID || w.Body != string(r.body) {
			s.t.Fatalf("webhook %+v, want return %s (message_id %s) for %s", w, r.body, r.messageID, callback)
		}
	case <-time.After(30 * time.Second):
		s.t.Fatalf("no webhook of %s within 30s", r.body)
	}
}

func (s *suite) count(query string, args ...any) int64 {
	s.t.Helper()
	var n int64
	if err := s.db.Raw(query, args...).Scan(&n).Error; err != nil {
		s.t.Fatal(err)
	}
	return n
}
