package app_test

import (
	"encoding/json"
	"testing"
	"time"

	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/broker/brokertest"
	"paysuite/pkg/contract"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
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
	vhosts := brokertest.NewVhosts(t, "t-topup")
	dbCfg := dbtest.Config(t)
	cfg := servicetest.Start(t, map[string]string{
		"DEV_MODE": "true", "SIGN_SECRET": "topup-app-secret", "INTERNAL_SECRET": "topup-app-internal-secret",
		"AMQP_URL": vhosts.Public, "AMQP_INTERNAL_URL": vhosts.Internal, "AMQP_REQUEUE_DELAY": "50ms",
		"MYSQL_DSN": dbCfg.DSN, "MYSQL_SCHEMA": dbCfg.Schema, "ETH_RPC_URL": chain.Dev.HTTPURL(),
		"CONFIRMATIONS": "2", "HTTP_ADDR": "127.0.0.1:0",
	}, app.Run)
	keys, err := events.NewKeys(cfg.InternalSecrets()...)
	if err != nil {
		t.Fatal(err)
	}
	s := &suite{t: t, cfg: cfg, chain: chain, keys: keys, db: dbtest.OpenConfig(t, dbCfg, store.Migrations())}
	s.public, s.internal = servicetest.Connect(t, vhosts, cfg.Names)
	s.returns = brokertest.Follow(t, s.public, cfg.Names.TopupReturnQueue)
	s.dead = brokertest.Follow(t, s.internal, cfg.Broker.DeadQueue)
	s.alerts = brokertest.Follow(t, s.internal, events.AlertQueue)
	s.webhooks = brokertest.Follow(t, s.internal, events.WebhookQueue)
	return s
}

// request publishes fields as a request to pay.topup.queue, signed at ts
// when secret is set.
func (s *suite) request(fields map[string]any, secret []byte, ts time.Time) {
	s.t.Helper()
	if secret != nil {
		s.publishRequest(servicetest.Sign(s.t, secret, fields, ts))
		return
	}
	body, err := json.Marshal(fields)
	if err != nil {
		s.t.Fatal(err)
	}
	s.publishRequest(body)
}

// publishRequest sends body straight to the request queue, as a business
// system may.
func (s *suite) publishRequest(body []byte) {
	s.t.Helper()
	servicetest.Publish(s.t, s.public, s.cfg.Names.TopupQueue, body)
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
	if err := s.internal.Publish(s.t.Context(), events.Exchange, key, broker.Message{Body: body}); err != nil {
		s.t.Fatal(err)
	}
}

// next waits for the next return, which must be signed.
func (s *suite) next() servicetest.Return {
	s.t.Helper()
	r := servicetest.Next(s.t, s.returns, "return")
	if !r.SignedWith([]byte(s.cfg.SignSecret)) {
		s.t.Fatalf("return not signed: %s", r.Body)
	}
	return r
}

// expect waits for the next return and checks its request_id, event, status
// and error.
func (s *suite) expect(requestID, event string, status int, code string) servicetest.Return {
	s.t.Helper()
	r := s.next()
	if !r.Is(requestID, event, status) || r.Str("error") != code {
		s.t.Fatalf("return %s, want %s %s status %d %s", r.Body, requestID, event, status, code)
	}
	return r
}

// deadLetter waits for the next message dead-lettered on the internal side
// and returns its reason.
func (s *suite) deadLetter() string {
	s.t.Helper()
	return brokertest.DeadReason(brokertest.Next(s.t, s.dead, "dead letter"))
}

// alert waits for the next operator alert and opens it.
func (s *suite) alert() events.Alert {
	s.t.Helper()
	return servicetest.Open[events.Alert](s.t, s.keys, s.alerts, "alert")
}

// webhook waits for the next message to the notifier and checks that it
// opens with the suite's keys and hands over r, byte for byte, for callback.
func (s *suite) webhook(r servicetest.Return, callback string) {
	s.t.Helper()
	servicetest.ExpectWebhook(s.t, s.keys, s.webhooks, contract.FlowTopup, r, callback)
}

func (s *suite) count(query string, args ...any) int64 {
	s.t.Helper()
	var n int64
	if err := s.db.Raw(query, args...).Scan(&n).Error; err != nil {
		s.t.Fatal(err)
	}
	return n
}

// head is the development chain's newest block number.
func (s *suite) head() uint64 {
	s.t.Helper()
	n, err := s.chain.Eth.BlockNumber(s.t.Context())
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}
