package app

import (
	"maps"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/ethclient"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/broker/brokertest"
	"paysuite/pkg/contract"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/devchain"
	"paysuite/pkg/devchain/devchaintest"
	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
	"paysuite/services/withdraw/internal/config"
	"paysuite/services/withdraw/internal/store"
)

// The secrets withdraw runs with in these tests: a rotation of the signing
// secret is under way, so requests signed with either one are accepted.
var (
	currentSecret  = []byte("suite-test-current-secret")
	previousSecret = []byte("suite-test-previous-secret")
	internalSecret = []byte("suite-test-internal-secret")
)

// suite is withdraw run as its main runs it (Run), against the real broker in
// two virtual hosts of its own (the public one business systems use, and the
// internal one), a fresh schema and a development chain that mines a block
// every 200 ms. The test talks to it as a business system does.
type suite struct {
	t        *testing.T
	cfg      config.Config
	chain    *devchain.Chain
	eth      *ethclient.Client
	db       *gorm.DB
	public   *broker.Client
	internal *broker.Client
	keys     events.Keys            // sealed with internalSecret
	returns  <-chan broker.Delivery // the flow's return queue
	alerts   <-chan broker.Delivery // the operator alerts, in the internal virtual host
	webhooks <-chan broker.Delivery // the returns handed to the notifier, in the internal virtual host
}

// start runs withdraw until the test ends and follows its return queue, the
// operator alerts and the notifier's webhook queue.
func start(t *testing.T) *suite {
	t.Helper()
	return startWith(t, nil)
}

// startWith is start with extra settings over the tests' defaults.
func startWith(t *testing.T, extra map[string]string) *suite {
	t.Helper()
	dbCfg := dbtest.Config(t)
	vhosts := brokertest.NewVhosts(t, "withdraw-test")
	chain := devchaintest.StartWith(t, devchain.Config{BlockPeriod: 200 * time.Millisecond})
	keys, err := events.NewKeys(internalSecret)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"DEV_MODE": "true", "SIGN_SECRET": string(currentSecret), "SIGN_SECRET_PREVIOUS": string(previousSecret),
		"INTERNAL_SECRET": string(internalSecret), "AMQP_URL": vhosts.Public, "AMQP_INTERNAL_URL": vhosts.Internal,
		"AMQP_REQUEUE_DELAY": "50ms", "MYSQL_DSN": dbCfg.DSN, "MYSQL_SCHEMA": dbCfg.Schema,
		"ETH_RPC_URL": chain.HTTPURL(), "CONFIRMATIONS": "2", "POLL_INTERVAL": "100ms", "HTTP_ADDR": "127.0.0.1:0",
		// One worker: the answers come in the order of the messages.
		"WITHDRAW_WORKERS": "1",
	}
	maps.Copy(env, extra)
	cfg := servicetest.Start(t, env, Run)
	s := &suite{t: t, cfg: cfg, chain: chain.Chain, eth: chain.Eth, db: dbtest.OpenConfig(t, dbCfg, store.Migrations()), keys: keys}
	s.public, s.internal = servicetest.Connect(t, vhosts, cfg.Names)
	s.returns = brokertest.Follow(t, s.public, cfg.Names.WithdrawReturnQueue)
	s.alerts = brokertest.Follow(t, s.internal, events.AlertQueue)
	s.webhooks = brokertest.Follow(t, s.internal, events.WebhookQueue)
	return s
}

// publish sends body straight to queue through the default exchange, as
// anyone with the broker's credentials can.
func (s *suite) publish(client *broker.Client, queue string, body []byte) {
	s.t.Helper()
	servicetest.Publish(s.t, client, queue, body)
}

// request is a request signed with secret at the time at.
func (s *suite) request(secret []byte, fields map[string]any, at time.Time) []byte {
	s.t.Helper()
	return servicetest.Sign(s.t, secret, fields, at)
}

// next is the next return, whatever it is.
func (s *suite) next(what string) servicetest.Return {
	s.t.Helper()
	return servicetest.Next(s.t, s.returns, what)
}

// expect reads the next return and checks that it is the event of requestID
// with status, signed with the current secret only.
func (s *suite) expect(requestID, event string, status int) servicetest.Return {
	s.t.Helper()
	r := s.next(requestID + " " + event)
	if !r.Is(requestID, event, status) {
		s.t.Fatalf("got %s, want %s %s with status %d", r.Body, requestID, event, status)
	}
	if !r.SignedWith(currentSecret) || r.SignedWith(previousSecret) {
		s.t.Fatalf("%s %s is not signed with the current secret alone: %s", requestID, event, r.Body)
	}
	return r
}

// expectRejected reads the next return and checks that it is the rejected
// return of requestID with code.
func (s *suite) expectRejected(requestID, code string) servicetest.Return {
	s.t.Helper()
	r := s.expect(requestID, contract.EventRejected, contract.StatusFailed)
	servicetest.CheckRejected(s.t, r, requestID, code)
	return r
}
