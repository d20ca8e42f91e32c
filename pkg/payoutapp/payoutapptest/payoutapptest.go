// Package payoutapptest runs a payout service (withdraw, pay) in a test as its
// main runs it, against the real broker, a fresh schema and a development
// chain, and talks to it as a business system does.
package payoutapptest

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/broker/brokertest"
	"paysuite/pkg/config/payout"
	"paysuite/pkg/contract"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/devchain"
	"paysuite/pkg/devchain/devchaintest"
	"paysuite/pkg/ethtx"
	"paysuite/pkg/events"
	"paysuite/pkg/keystore"
	"paysuite/pkg/service/servicetest"
)

// The secrets the service runs with in these tests: a rotation of the
// signing secret is under way, so requests signed with either one are
// accepted.
var (
	CurrentSecret  = []byte("suite-test-current-secret")
	PreviousSecret = []byte("suite-test-previous-secret")
	InternalSecret = []byte("suite-test-internal-secret")
)

// Configured is a payout service's configuration.
type Configured[C any] interface {
	*C
	PayoutSettings() *payout.Service
}

// Service says which payout service a Suite runs.
type Service[C any] struct {
	// Name is the service's name ("withdraw").
	Name       string
	Migrations fs.FS
	Run        func(context.Context, C, zerolog.Logger) error
	// Env is the service's own settings over the shared ones.
	Env map[string]string
	// Flow is the service's flow (contract.Names.Withdraw); FinalEvent is
	// the event of its final return.
	Flow       func(contract.Names) contract.Flow
	FinalEvent string
	// HotKey reads the hot wallet's key from the configuration.
	HotKey func(*C) (*ecdsa.PrivateKey, error)
}

// Suite is a payout service run as its main runs it (Run), against the real
// broker in two virtual hosts of its own (the public one business systems
// use, and the internal one), a fresh schema and a development chain that
// mines a block every 200 ms.
type Suite[C any] struct {
	Service Service[C]
	T       *testing.T
	Cfg     C
	Chain   *devchain.Chain
	Eth     *ethclient.Client
	// ETH is the same chain as Chain and Eth, with the fixture's helpers.
	ETH *devchaintest.Chain
	// BSC is the second development chain, started by StartTwoChains (nil
	// otherwise).
	BSC      *devchaintest.Chain
	DB       *gorm.DB
	Public   *broker.Client
	Internal *broker.Client
	Keys     events.Keys            // sealed with InternalSecret
	Returns  <-chan broker.Delivery // the flow's return queue
	Alerts   <-chan broker.Delivery // the operator alerts, in the internal virtual host
	Webhooks <-chan broker.Delivery // the returns handed to the notifier, in the internal virtual host
	Flow     contract.Flow
	Queue    string // the flow's request queue

	settings *payout.Service // Cfg's
}

// Start runs svc until the test ends, with extra settings over the tests'
// defaults, and follows its return queue, the operator alerts and the
// notifier's webhook queue.
func Start[C any, P Configured[C]](t *testing.T, svc Service[C], extra map[string]string) *Suite[C] {
	t.Helper()
	chain := devchaintest.StartWith(t, devchain.Config{BlockPeriod: 200 * time.Millisecond})
	return start[C, P](t, svc, extra, chain, nil, map[string]string{"ETH_RPC_URL": chain.HTTPURL(), "CONFIRMATIONS": "2"})
}

// StartTwoChains is Start with CHAINS=ETH,BSC: the service pays out on the
// ETH development chain (Chain, Eth) and on the BSC one (BSC, whose USDT has
// 18 decimals), each mining a block every 200 ms.
func StartTwoChains[C any, P Configured[C]](t *testing.T, svc Service[C], extra map[string]string) *Suite[C] {
	t.Helper()
	eth := devchaintest.StartWith(t, devchain.Config{BlockPeriod: 200 * time.Millisecond})
	bsc := devchaintest.StartWith(t, devchain.Config{BlockPeriod: 200 * time.Millisecond, ChainID: devchain.BSCChainID})
	return start[C, P](t, svc, extra, eth, bsc, map[string]string{"CHAINS": "ETH,BSC",
		"CHAIN_ETH_RPC_URL": eth.HTTPURL(), "CHAIN_ETH_CONFIRMATIONS": "2",
		"CHAIN_BSC_RPC_URL": bsc.HTTPURL(), "CHAIN_BSC_CONFIRMATIONS": "2"})
}

// start runs svc on chain (and bsc, when not nil) with the chains' settings.
func start[C any, P Configured[C]](t *testing.T, svc Service[C], extra map[string]string, chain, bsc *devchaintest.Chain,
	chains map[string]string) *Suite[C] {
	t.Helper()
	dbCfg := dbtest.Config(t)
	vhosts := brokertest.NewVhosts(t, svc.Name+"-test")
	keys, err := events.NewKeys(InternalSecret)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"DEV_MODE": "true", "SIGN_SECRET": string(CurrentSecret), "SIGN_SECRET_PREVIOUS": string(PreviousSecret),
		"INTERNAL_SECRET": string(InternalSecret), "AMQP_URL": vhosts.Public, "AMQP_INTERNAL_URL": vhosts.Internal,
		"AMQP_REQUEUE_DELAY": "50ms", "MYSQL_DSN": dbCfg.DSN, "MYSQL_SCHEMA": dbCfg.Schema,
		"POLL_INTERVAL": "100ms", "HTTP_ADDR": "127.0.0.1:0",
	}
	maps.Copy(env, chains)
	maps.Copy(env, svc.Env)
	maps.Copy(env, extra)
	cfg := servicetest.Start(t, env, svc.Run)
	names := P(&cfg).PayoutSettings().Names
	s := &Suite[C]{Service: svc, T: t, Cfg: cfg, Chain: chain.Chain, Eth: chain.Eth, ETH: chain, BSC: bsc, DB: dbtest.OpenConfig(t, dbCfg, svc.Migrations), Keys: keys}
	s.Public, s.Internal = servicetest.Connect(t, vhosts, names)
	s.Flow = svc.Flow(names)
	s.Returns = brokertest.Follow(t, s.Public, s.Flow.ReturnQueue)
	s.Alerts = brokertest.Follow(t, s.Internal, events.AlertQueue)
	s.Webhooks = brokertest.Follow(t, s.Internal, events.WebhookQueue)
	s.Queue = s.Flow.RequestQueue
	s.settings = P(&s.Cfg).PayoutSettings()
	return s
}

// Publish sends body straight to queue through the default exchange, as
// anyone with the broker's credentials can.
func (s *Suite[C]) Publish(client *broker.Client, queue string, body []byte) {
	s.T.Helper()
	servicetest.Publish(s.T, client, queue, body)
}

// Request is a request signed with secret at the time at.
func (s *Suite[C]) Request(secret []byte, fields map[string]any, at time.Time) []byte {
	s.T.Helper()
	return servicetest.Sign(s.T, secret, fields, at)
}

// Next is the next return, whatever it is.
func (s *Suite[C]) Next(what string) servicetest.Return {
	s.T.Helper()
	return servicetest.Next(s.T, s.Returns, what)
}

// Expect reads the next return and checks that it is the event of requestID
// with status, signed with the current secret only.
func (s *Suite[C]) Expect(requestID, event string, status int) servicetest.Return {
	s.T.Helper()
	r := s.Next(requestID + " " + event)
	if !r.Is(requestID, event, status) {
		s.T.Fatalf("got %s, want %s %s with status %d", r.Body, requestID, event, status)
	}
	if !r.SignedWith(CurrentSecret) || r.SignedWith(PreviousSecret) {
		s.T.Fatalf("%s %s is not signed with the current secret alone: %s", requestID, event, r.Body)
	}
	return r
}

// ExpectRejected reads the next return and checks that it is the rejected
// return of requestID with code.
func (s *Suite[C]) ExpectRejected(requestID, code string) servicetest.Return {
	s.T.Helper()
	r := s.Expect(requestID, contract.EventRejected, contract.StatusFailed)
	servicetest.CheckRejected(s.T, r, requestID, code)
	return r
}

// Address is an address of the test's own, by name.
func (s *Suite[C]) Address(name string) common.Address {
	return common.BytesToAddress(crypto.Keccak256([]byte(s.T.Name() + "/" + name))[12:])
}

// ExpectSealedAlert reads the operator alerts until one of kind: every one
// is sealed with the internal secret, and comes from the service.
func (s *Suite[C]) ExpectSealedAlert(kind string) {
	s.T.Helper()
	servicetest.ExpectAlert(s.T, s.Keys, s.Alerts, s.Service.Name, kind)
}

// ExpectWebhook reads the next message to the notifier and checks that it
// opens with the internal secret and hands over r, byte for byte, for
// callback.
func (s *Suite[C]) ExpectWebhook(r servicetest.Return, callback string) {
	s.T.Helper()
	servicetest.ExpectWebhook(s.T, s.Keys, s.Webhooks, s.Flow.Name, r, callback)
}

// Hot is the service's hot wallet.
func (s *Suite[C]) Hot() common.Address {
	s.T.Helper()
	key, err := s.Service.HotKey(&s.Cfg)
	if err != nil {
		s.T.Fatal(err)
	}
	return keystore.Address(key)
}

// TokensOf is what holder holds of the first configured token.
func (s *Suite[C]) TokensOf(holder common.Address) *big.Int {
	s.T.Helper()
	return s.TokensOn(s.Eth, holder)
}

// TokensOn is what holder holds of the development USDT (the first
// configured token) on the chain of client.
func (s *Suite[C]) TokensOn(client *ethclient.Client, holder common.Address) *big.Int {
	s.T.Helper()
	bal, err := ethtx.TokenBalance(s.T.Context(), client, s.settings.Tokens[0].Address, holder)
	if err != nil {
		s.T.Fatal(err)
	}
	return bal
}

// Finals reads the returns until each of ids has its final return (of the
// flow's final event, signed with the current secret), in whatever order
// they come, skipping the submitted notices, and returns them by request
// id. Any other return fails the test.
func (s *Suite[C]) Finals(ids ...string) map[string]servicetest.Return {
	s.T.Helper()
	out := map[string]servicetest.Return{}
	for len(out) < len(ids) {
		r := s.Next(fmt.Sprintf("the final returns of %v", ids))
		id, event := r.Str("request_id"), r.Str("event")
		switch {
		case event == contract.EventSubmitted && slices.Contains(ids, id):
		case event == s.Service.FinalEvent && slices.Contains(ids, id) && r.SignedWith(CurrentSecret):
			out[id] = r
		default:
			s.T.Fatalf("got %s while waiting for the final returns of %v", r.Body, ids)
		}
	}
	return out
}

// Count is the number of rows of table in the service's schema.
func (s *Suite[C]) Count(table string) int64 {
	s.T.Helper()
	var n int64
	if err := s.DB.Table(table).Count(&n).Error; err != nil {
		s.T.Fatal(err)
	}
	return n
}

// State is what a forged message must not change: the flow's requests (read
// into rows, a pointer to a slice of the store's model), the sends, the
// outbox (once it has been published), and on chain the ether, pending
// nonce and tokens of wallets and the tokens of holders.
func (s *Suite[C]) State(rows any, wallets []common.Address, holders ...common.Address) map[string]string {
	s.T.Helper()
	servicetest.Eventually(s.T, "the outbox published", func() bool { return s.Count("outbox") == 0 })
	if err := s.DB.Order("request_id").Find(rows).Error; err != nil {
		s.T.Fatal(err)
	}
	stored, err := json.Marshal(rows)
	if err != nil {
		s.T.Fatal(err)
	}
	out := map[string]string{
		"requests": string(stored), "tx_sends": fmt.Sprint(s.Count("tx_sends")), "tx_attempts": fmt.Sprint(s.Count("tx_attempts")),
	}
	ctx := s.T.Context()
	for _, a := range wallets {
		ether, err := s.Eth.BalanceAt(ctx, a, nil)
		if err != nil {
			s.T.Fatal(err)
		}
		nonce, err := s.Eth.PendingNonceAt(ctx, a)
		if err != nil {
			s.T.Fatal(err)
		}
		out["ether of "+a.Hex()], out["pending nonce of "+a.Hex()] = ether.String(), fmt.Sprint(nonce)
	}
	for _, a := range append(slices.Clone(wallets), holders...) {
		out["tokens of "+a.Hex()] = s.TokensOf(a).String()
	}
	return out
}
