package app_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/broker/brokertest"
	pkgconfig "paysuite/pkg/config"
	"paysuite/pkg/contract"
	"paysuite/pkg/db"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/events"
	"paysuite/pkg/sign"
	"paysuite/pkg/topology"
	"paysuite/pkg/witness/witnesstest"
	"paysuite/services/matcher/internal/app"
	"paysuite/services/matcher/internal/config"
	"paysuite/services/matcher/internal/store"
)

// depth is the confirmation depth of the tests.
const depth = 2

// suite is the matcher running in-process against the real broker (a public and an
// internal virtual host of its own), a schema of its own and a development
// chain. The test plays the business system on the public side and the
// chain-listener, genuine or compromised, on the internal side.
type suite struct {
	t        *testing.T
	cfg      config.Config
	chain    *witnesstest.Chain
	db       *gorm.DB
	public   *broker.Client
	internal *broker.Client
	keys     events.Keys
	// returns, dead, alerts and webhooks receive the return queue, and the
	// internal side's dead-letter, alert and webhook queues.
	returns, dead, alerts, webhooks <-chan broker.Delivery
}

func start(t *testing.T) *suite {
	t.Helper()
	chain := witnesstest.Start(t)
	vhosts := brokertest.NewVhosts(t, "t-matcher")
	dbCfg := dbtest.Config(t)
	for k, v := range map[string]string{
		"DEV_MODE": "true", "SIGN_SECRET": "matcher-app-secret", "INTERNAL_SECRET": "matcher-app-internal-secret",
		"AMQP_URL": vhosts.Public, "AMQP_INTERNAL_URL": vhosts.Internal, "AMQP_REQUEUE_DELAY": "50ms",
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
			t.Errorf("matcher: %v", err)
		}
	})
	public, internal := topology.Split(topology.Suite(cfg.Names))
	s := &suite{t: t, cfg: cfg, chain: chain, keys: keys,
		public: brokertest.Dial(t, vhosts.Public, public), internal: brokertest.Dial(t, vhosts.Internal, internal)}
	s.returns = brokertest.Follow(t, s.public, cfg.Names.OrderReturnQueue)
	s.dead = brokertest.Follow(t, s.internal, cfg.Broker.DeadQueue)
	s.alerts = brokertest.Follow(t, s.internal, events.AlertQueue)
	s.webhooks = brokertest.Follow(t, s.internal, events.WebhookQueue)
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

// request publishes fields as a request to pay.order.queue, signed at ts
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
	if err := s.public.Publish(s.t.Context(), "", s.cfg.Names.OrderQueue, broker.Message{Body: body}); err != nil {
		s.t.Fatal(err)
	}
}

// transfer publishes ev to the matcher's transfer queue sealed with keys, as the
// chain-listener does (or one holding its secret).
func (s *suite) transfer(keys events.Keys, ev events.Transfer) {
	s.t.Helper()
	key := events.TransferKey(events.OwnerMatcher)
	body, err := keys.Seal(key, ev)
	if err != nil {
		s.t.Fatal(err)
	}
	s.publishInternal(key, body)
}

func (s *suite) publishInternal(key string, body []byte) {
	s.t.Helper()
	if err := s.internal.Publish(s.t.Context(), events.Exchange, key, broker.Message{Body: body}); err != nil {
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

// next waits for the next return, which must be signed.
func (s *suite) next() ret {
	s.t.Helper()
	d := brokertest.Next(s.t, s.returns, "return")
	r := ret{body: d.Body, messageID: d.MessageID}
	if err := json.Unmarshal(d.Body, &r.fields); err != nil {
		s.t.Fatalf("return %s: %v", d.Body, err)
	}
	f, _ := sign.ParseFields(d.Body)
	if err := sign.Verify([]byte(s.cfg.SignSecret), f); err != nil {
		s.t.Fatalf("return not signed: %s", d.Body)
	}
	return r
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
	return brokertest.DeadReason(brokertest.Next(s.t, s.dead, "dead letter"))
}

// open waits for the next message of ch and opens it with the suite's keys
// into v.
func (s *suite) open(ch <-chan broker.Delivery, what string, v any) {
	s.t.Helper()
	d := brokertest.Next(s.t, ch, what)
	data, err := s.keys.Open(d)
	if err != nil || json.Unmarshal(data, v) != nil {
		s.t.Fatalf("%s %s: %v", what, d.Body, err)
	}
}

// alert waits for the next operator alert and opens it.
func (s *suite) alert() events.Alert {
	s.t.Helper()
	var a events.Alert
	s.open(s.alerts, "alert", &a)
	return a
}

// webhook waits for the next message to the notifier and checks that it
// opens with the suite's keys and hands over r, byte for byte, for callback.
func (s *suite) webhook(r ret, callback string) {
	s.t.Helper()
	var w events.Webhook
	s.open(s.webhooks, "webhook of "+string(r.body), &w)
	if w.Flow != contract.FlowOrder || w.RequestID != r.str("request_id") || w.CallbackURL != callback ||
		w.MessageID != r.messageID || w.Body != string(r.body) {
		s.t.Fatalf("webhook %+v, want return %s (message_id %s) for %s", w, r.body, r.messageID, callback)
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
