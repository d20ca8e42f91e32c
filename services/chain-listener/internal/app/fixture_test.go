package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net/http"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
	amqp "github.com/rabbitmq/amqp091-go"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/broker/brokertest"
	"paysuite/pkg/config/onchain"
	"paysuite/pkg/db"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/devchain"
	"paysuite/pkg/devchain/devchaintest"
	"paysuite/pkg/erc20"
	"paysuite/pkg/events"
	"paysuite/pkg/hdwallet"
	"paysuite/pkg/service/servicetest"
	"paysuite/services/chain-listener/internal/app"
)

// internalSecret is the suite's INTERNAL_SECRET in these tests.
const internalSecret = "listener-app-test-internal-secret"

// deadQueue is the dead-letter queue of both virtual hosts (AMQP_DEAD_QUEUE's default).
const deadQueue = "pay.dead.queue"

// listener is a chain-listener run by app.Run against a development chain
// mining on demand, fresh public and internal virtual hosts of the real
// broker and a fresh schema of the real database.
type listener struct {
	t     *testing.T
	chain *devchaintest.Chain
	// bsc is the second chain, BSC, of a listener of two chains.
	bsc *devchaintest.Chain
	eth *ethclient.Client
	db  *gorm.DB
	// internal is the internal virtual host, as the test reaches it.
	internal *servicetest.AMQP
	keys     events.Keys
	// http is the address of the listener's operational endpoints.
	http string
}

func startListener(t *testing.T) *listener {
	t.Helper()
	return startListenerEnv(t, nil)
}

// startListenerEnv starts a listener of the single-chain form (ETH, without
// CHAINS) whose environment holds extra on top of the tests' defaults.
func startListenerEnv(t *testing.T, extra map[string]string) *listener {
	t.Helper()
	return start(t, setup{extra: extra})
}

// startTwoChains starts a listener of the chains ETH and BSC (CHAINS).
func startTwoChains(t *testing.T) *listener {
	t.Helper()
	return start(t, setup{bsc: true})
}

// setup is what a test's listener starts with.
type setup struct {
	// extra are variables on top of the tests' defaults.
	extra map[string]string
	// bsc: the listener follows BSC too, configured by CHAINS.
	bsc bool
	// before runs on the ETH chain and the listener's empty schema before
	// the listener starts.
	before func(eth *devchaintest.Chain, dbc db.Config)
}

func start(t *testing.T, s setup) *listener {
	t.Helper()
	chain := devchaintest.Start(t)
	vhosts := brokertest.NewVhosts(t, "listener-test")
	dbc := dbtest.Config(t)
	httpAddr := servicetest.FreeAddr(t)
	env := map[string]string{
		"DEV_MODE": "true", "INTERNAL_SECRET": internalSecret, "AMQP_URL": vhosts.Public, "AMQP_INTERNAL_URL": vhosts.Internal,
		"MYSQL_DSN": dbc.DSN, "MYSQL_SCHEMA": dbc.Schema,
		"START_BLOCK": "0", "POLL_INTERVAL": "100ms", "LEADER_TTL": "1s", "HTTP_ADDR": httpAddr,
	}
	l := &listener{t: t, chain: chain, eth: chain.Eth, http: httpAddr}
	if s.bsc {
		l.bsc = devchaintest.StartWith(t, devchain.Config{ChainID: devchain.BSCChainID})
		env["CHAINS"] = "ETH,BSC"
		for name, c := range map[string]*devchaintest.Chain{"ETH": chain, "BSC": l.bsc} {
			prefix := onchain.Prefix(name)
			env[prefix+"RPC_URL"], env[prefix+"WS_URL"], env[prefix+"CONFIRMATIONS"] = c.HTTPURL(), c.WSURL(), "3"
		}
	} else {
		env["ETH_RPC_URL"], env["ETH_WS_URL"], env["CONFIRMATIONS"] = chain.HTTPURL(), chain.WSURL(), "3"
	}
	maps.Copy(env, s.extra)
	if s.before != nil {
		s.before(chain, dbc)
	}
	servicetest.Start(t, env, app.Run)

	var err error
	if l.keys, err = events.NewKeys([]byte(internalSecret)); err != nil {
		t.Fatal(err)
	}
	l.internal = servicetest.DialAMQP(t, vhosts.Internal)
	l.internal.WaitConsumers(events.WatchQueue, events.WatchListQueue, events.RescanQueue)
	// The listener has migrated its schema by the time it consumes.
	l.db = dbtest.OpenConfig(t, dbc, nil)
	return l
}

// depth is the number of messages ready in queue.
func (l *listener) depth(queue string) int {
	l.t.Helper()
	info, err := l.internal.Inspect(queue)
	if err != nil {
		l.t.Fatal(err)
	}
	return info.Messages
}

// count runs a COUNT query on the listener's schema.
func (l *listener) count(query string, args ...any) int64 {
	l.t.Helper()
	var n int64
	if err := l.db.Raw(query, args...).Scan(&n).Error; err != nil {
		l.t.Fatal(err)
	}
	return n
}

// sendUSDT sends one base unit of test USDT from development account 1 to
// each of to, and mines them into one block, whose number it returns.
func (l *listener) sendUSDT(to ...common.Address) uint64 {
	l.t.Helper()
	return l.send(1, to...)
}

// send sends amount base units of test USDT on ETH from development account
// 1 to each of to, and mines them into one block, whose number it returns.
func (l *listener) send(amount int64, to ...common.Address) uint64 {
	l.t.Helper()
	block, _ := l.sendOn(l.chain, big.NewInt(amount), to...)
	return block
}

// sendOn sends amount base units of the test USDT of chain c from
// development account 1 to each of to, and mines them into one block; it
// returns the block's number and the transactions, in the order of to.
func (l *listener) sendOn(c *devchaintest.Chain, amount *big.Int, to ...common.Address) (uint64, []common.Hash) {
	l.t.Helper()
	key, _, err := hdwallet.DevAccount(1)
	if err != nil {
		l.t.Fatal(err)
	}
	opts := bind.NewKeyedTransactor(key, new(big.Int).SetUint64(c.ChainID()))
	// The token's ABI without erc20.Token's checks, which refuse a zero amount.
	usdt := erc20.NewTestUSDT()
	token := usdt.Instance(c.Eth, common.HexToAddress(erc20.DevTokenAddress))
	var sent []common.Hash
	for _, addr := range to {
		tx, err := bind.Transact(token, opts, usdt.PackTransfer(addr, amount))
		if err != nil {
			l.t.Fatal(err)
		}
		opts.Nonce = new(big.Int).SetUint64(tx.Nonce() + 1)
		sent = append(sent, tx.Hash())
	}
	if err := c.Mine(1); err != nil {
		l.t.Fatal(err)
	}
	r, err := c.Eth.TransactionReceipt(l.t.Context(), sent[len(sent)-1])
	if err != nil {
		l.t.Fatal(err)
	}
	return r.BlockNumber.Uint64(), sent
}

// head is the development chain's newest block number.
func (l *listener) head() uint64 {
	l.t.Helper()
	return l.chain.Head()
}

// caughtUp waits until the listener has scanned up to ETH's head.
func (l *listener) caughtUp() {
	l.t.Helper()
	l.caughtUpOn("ETH", l.chain)
}

// caughtUpOn waits until the listener has scanned up to the head of c, the
// chain called name.
func (l *listener) caughtUpOn(name string, c *devchaintest.Chain) {
	l.t.Helper()
	head := c.Head()
	servicetest.Eventually(l.t, fmt.Sprintf("the listener at block %d of %s", head, name), func() bool {
		return l.count("SELECT COUNT(*) FROM cursor_state WHERE chain = ? AND block_number >= ?", name, head) == 1
	})
}

// watch registers addr on chain for owner, sealed as the suite does.
func (l *listener) watch(chain string, addr common.Address, owner string) {
	l.t.Helper()
	l.internal.Publish(events.Exchange, events.WatchKey, "watch-"+chain+"-"+addr.Hex(), servicetest.Seal(l.t, l.keys, events.WatchKey,
		events.WatchAddress{Chain: chain, Address: strings.ToLower(addr.Hex()), Owner: owner}))
}

// readyz returns the status code and body of the listener's /readyz.
func (l *listener) readyz() (int, string) {
	l.t.Helper()
	resp, err := http.Get("http://" + l.http + "/readyz")
	if err != nil {
		l.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		l.t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// waitReady waits until /readyz reports ready.
func (l *listener) waitReady() {
	l.t.Helper()
	servicetest.Eventually(l.t, "/readyz ready", func() bool {
		code, _ := l.readyz()
		return code == http.StatusOK
	})
}

// waitNotReady waits until /readyz fails saying want, and returns all it says.
func (l *listener) waitNotReady(want string) string {
	l.t.Helper()
	var body string
	servicetest.Eventually(l.t, "/readyz failing with "+want, func() bool {
		var code int
		code, body = l.readyz()
		return code == http.StatusServiceUnavailable && strings.Contains(body, want)
	})
	return body
}

// transfers opens the transfer events waiting in owner's queue.
func (l *listener) transfers(owner string) []events.Transfer {
	l.t.Helper()
	return openAll[events.Transfer](l, events.TransferQueue(owner))
}

// alerts opens the alerts waiting in the notifier's queue.
func (l *listener) alerts() []events.Alert {
	l.t.Helper()
	return openAll[events.Alert](l, events.AlertQueue)
}

// openAll opens the messages waiting in queue, sealed with the suite's keys.
func openAll[T any](l *listener, queue string) []T {
	l.t.Helper()
	var out []T
	for _, d := range l.internal.Take(queue) {
		data, err := l.keys.Open(broker.Delivery{Body: d.Body, RoutingKey: d.RoutingKey})
		var v T
		if err != nil || json.Unmarshal(data, &v) != nil {
			l.t.Fatalf("message %s of %s does not open with the suite's keys: %v", d.MessageId, queue, err)
		}
		out = append(out, v)
	}
	return out
}

// waitAlert waits for an alert of kind from the listener, dropping others.
func (l *listener) waitAlert(kind string) events.Alert {
	l.t.Helper()
	var found *events.Alert
	servicetest.Eventually(l.t, "a "+kind+" alert", func() bool {
		for _, a := range l.alerts() {
			if a.Kind == kind && a.Service == app.Name {
				found = &a
			}
		}
		return found != nil
	})
	return *found
}

// header reads a string header of a delivery.
func header(d amqp.Delivery, name string) string {
	s, _ := d.Headers[name].(string)
	return s
}
