// Package flowtest runs a service of the suite that answers requests and
// reports the transfers the chain-listener sees (topup, the matcher)
// in-process against the real broker (a public and an internal virtual host
// of its own), a schema of its own and a development chain. The test plays
// the business system on the public side and the chain-listener, genuine or
// compromised, on the internal side.
package flowtest

import (
	"context"
	"encoding/json"
	"io/fs"
	"maps"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/broker/brokertest"
	"paysuite/pkg/config"
	"paysuite/pkg/contract"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/devchain"
	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
	"paysuite/pkg/witness/witnesstest"
)

// Depth is the confirmation depth the service runs with.
const Depth = 2

// Service says which service a suite runs, and what its returns are.
type Service struct {
	// Name is the service's name, in its alerts; it names the suite's
	// virtual hosts and secrets too.
	Name string
	// Owner is whose transfer queue the service consumes (events.Owner...).
	Owner string
	// Flow is the flow of its returns (contract.Flow...).
	Flow       string
	Migrations fs.FS
	// Queues are the request and return queues of the flow.
	Queues func(contract.Names) (requests, returns string)
	// Accepted is the event of a request's first return, Reported that of
	// the returns reporting a transfer.
	Accepted, Reported string
	// Address and Amount are the fields of the returns carrying the address
	// to pay and the amount a transfer reported.
	Address, Amount string
}

// settings are the blocks of every service's configuration that the suite
// reads, from the environment the service was started with.
type settings struct {
	config.Common
	Broker broker.Config
	Names  contract.Names
}

// Suite is a service running in-process, with the test's ends of its queues.
type Suite struct {
	T     *testing.T
	Chain *witnesstest.Chain
	// BSC is the second chain of a suite started with StartTwoChains.
	BSC      *witnesstest.Chain
	DB       *gorm.DB
	Public   *broker.Client
	Internal *broker.Client
	Keys     events.Keys
	// Secret signs the business system's requests and the service's returns.
	Secret []byte

	svc      Service
	requests string
	// returns, dead, alerts and webhooks receive the return queue, and the
	// internal side's dead-letter, alert and webhook queues.
	returns, dead, alerts, webhooks <-chan broker.Delivery
}

// Start runs svc, run being its app's Run, on the development chain ETH
// until the test ends.
func Start[C any](t *testing.T, svc Service, run func(context.Context, C, zerolog.Logger) error) *Suite {
	t.Helper()
	chain := witnesstest.Start(t)
	return start(t, svc, run, chain, nil, map[string]string{
		"ETH_RPC_URL": chain.Dev.HTTPURL(), "CONFIRMATIONS": strconv.Itoa(Depth),
	})
}

// StartTwoChains runs svc as CHAINS=ETH,BSC configures it, on the suite's
// chain as ETH and a second development chain as BSC (its USDT with 18
// decimals), until the test ends. env adds variables, CHAIN_ETH_TOKENS say.
func StartTwoChains[C any](t *testing.T, svc Service, run func(context.Context, C, zerolog.Logger) error, env map[string]string) *Suite {
	t.Helper()
	chain := witnesstest.Start(t)
	bsc := witnesstest.StartChain(t, "BSC", devchain.BSCChainID)
	chains := map[string]string{
		"CHAINS":                  "ETH,BSC",
		"CHAIN_ETH_RPC_URL":       chain.Dev.HTTPURL(),
		"CHAIN_BSC_RPC_URL":       bsc.Dev.HTTPURL(),
		"CHAIN_ETH_CONFIRMATIONS": strconv.Itoa(Depth),
		"CHAIN_BSC_CONFIRMATIONS": strconv.Itoa(Depth),
	}
	maps.Copy(chains, env)
	return start(t, svc, run, chain, bsc, chains)
}

// start runs svc on chain (and bsc, if set) configured by chains.
func start[C any](t *testing.T, svc Service, run func(context.Context, C, zerolog.Logger) error,
	chain, bsc *witnesstest.Chain, chains map[string]string) *Suite {
	t.Helper()
	vhosts := brokertest.NewVhosts(t, "t-"+svc.Name)
	dbCfg := dbtest.Config(t)
	env := map[string]string{
		"DEV_MODE": "true", "SIGN_SECRET": svc.Name + "-app-secret", "INTERNAL_SECRET": svc.Name + "-app-internal-secret",
		"AMQP_URL": vhosts.Public, "AMQP_INTERNAL_URL": vhosts.Internal, "AMQP_REQUEUE_DELAY": "50ms",
		"MYSQL_DSN": dbCfg.DSN, "MYSQL_SCHEMA": dbCfg.Schema, "HTTP_ADDR": "127.0.0.1:0",
	}
	maps.Copy(env, chains)
	servicetest.Start(t, env, run)
	set, err := config.Load[settings]()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := events.NewKeys(set.InternalSecrets()...)
	if err != nil {
		t.Fatal(err)
	}
	requests, returns := svc.Queues(set.Names)
	s := &Suite{
		T: t, Chain: chain, BSC: bsc, Keys: keys, Secret: []byte(set.SignSecret), DB: dbtest.OpenConfig(t, dbCfg, svc.Migrations),
		svc: svc, requests: requests,
	}
	s.Public, s.Internal = servicetest.Connect(t, vhosts, set.Names)
	s.returns = brokertest.Follow(t, s.Public, returns)
	s.dead = brokertest.Follow(t, s.Internal, set.Broker.DeadQueue)
	s.alerts = brokertest.Follow(t, s.Internal, events.AlertQueue)
	s.webhooks = brokertest.Follow(t, s.Internal, events.WebhookQueue)
	return s
}

// Request publishes fields as a request to the flow's request queue, signed
// at ts when secret is set.
func (s *Suite) Request(fields map[string]any, secret []byte, ts time.Time) {
	s.T.Helper()
	if secret != nil {
		s.PublishRequest(servicetest.Sign(s.T, secret, fields, ts))
		return
	}
	body, err := json.Marshal(fields)
	if err != nil {
		s.T.Fatal(err)
	}
	s.PublishRequest(body)
}

// PublishRequest sends body straight to the request queue, as a business
// system may.
func (s *Suite) PublishRequest(body []byte) {
	s.T.Helper()
	servicetest.Publish(s.T, s.Public, s.requests, body)
}

// Transfer publishes ev to the service's transfer queue sealed with keys, as
// the chain-listener does (or one holding its secret).
func (s *Suite) Transfer(keys events.Keys, ev events.Transfer) {
	s.T.Helper()
	key := events.TransferKey(s.svc.Owner)
	body, err := keys.Seal(key, ev)
	if err != nil {
		s.T.Fatal(err)
	}
	s.PublishInternal(key, body)
}

// PublishInternal publishes body with key to the internal exchange as it is.
func (s *Suite) PublishInternal(key string, body []byte) {
	s.T.Helper()
	if err := s.Internal.Publish(s.T.Context(), events.Exchange, key, broker.Message{Body: body}); err != nil {
		s.T.Fatal(err)
	}
}

// Next waits for the next return, which must be signed.
func (s *Suite) Next() servicetest.Return {
	s.T.Helper()
	r := servicetest.Next(s.T, s.returns, "return")
	if !r.SignedWith(s.Secret) {
		s.T.Fatalf("return not signed: %s", r.Body)
	}
	return r
}

// Expect waits for the next return and checks its request_id, event, status
// and error.
func (s *Suite) Expect(requestID, event string, status int, code string) servicetest.Return {
	s.T.Helper()
	r := s.Next()
	if !r.Is(requestID, event, status) || r.Str("error") != code {
		s.T.Fatalf("return %s, want %s %s status %d %s", r.Body, requestID, event, status, code)
	}
	return r
}

// DeadLetter waits for the next message dead-lettered on the internal side
// and returns its reason.
func (s *Suite) DeadLetter() string {
	s.T.Helper()
	return brokertest.DeadReason(brokertest.Next(s.T, s.dead, "dead letter"))
}

// Alert waits for the next operator alert and opens it.
func (s *Suite) Alert() events.Alert {
	s.T.Helper()
	return servicetest.Open[events.Alert](s.T, s.Keys, s.alerts, "alert")
}

// Webhook waits for the next message to the notifier and checks that it
// opens with the suite's keys and hands over r, byte for byte, for callback.
func (s *Suite) Webhook(r servicetest.Return, callback string) {
	s.T.Helper()
	servicetest.ExpectWebhook(s.T, s.Keys, s.webhooks, s.svc.Flow, r, callback)
}

// Count is the number query counts in the service's schema.
func (s *Suite) Count(query string, args ...any) int64 {
	s.T.Helper()
	var n int64
	if err := s.DB.Raw(query, args...).Scan(&n).Error; err != nil {
		s.T.Fatal(err)
	}
	return n
}

// Head is the suite's chain's newest block number.
func (s *Suite) Head() uint64 {
	s.T.Helper()
	return s.Chain.Head()
}

// HandOut sends fields as a signed request and waits for its accepted return,
// reading the chain head just before and just after: a block the service read
// when it handed out the return's address lies between the two.
func (s *Suite) HandOut(fields map[string]any) (r servicetest.Return, before, after uint64) {
	s.T.Helper()
	before = s.Head()
	s.Request(fields, s.Secret, time.Now())
	r = s.Expect(fields["request_id"].(string), s.svc.Accepted, contract.StatusSuccess, "")
	return r, before, s.Head()
}
