package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net/http"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
	amqp "github.com/rabbitmq/amqp091-go"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/broker/brokertest"
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
	eth   *ethclient.Client
	db    *gorm.DB
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

// startListenerEnv starts a listener whose environment holds extra on top
// of the tests' defaults.
func startListenerEnv(t *testing.T, extra map[string]string) *listener {
	t.Helper()
	chain := devchaintest.Start(t)
	vhosts := brokertest.NewVhosts(t, "listener-test")
	dbc := dbtest.Config(t)
	httpAddr := servicetest.FreeAddr(t)
	env := map[string]string{
		"DEV_MODE": "true", "INTERNAL_SECRET": internalSecret, "AMQP_URL": vhosts.Public, "AMQP_INTERNAL_URL": vhosts.Internal,
		"MYSQL_DSN": dbc.DSN, "MYSQL_SCHEMA": dbc.Schema, "ETH_RPC_URL": chain.HTTPURL(), "ETH_WS_URL": chain.WSURL(),
		"START_BLOCK": "0", "POLL_INTERVAL": "100ms", "LEADER_TTL": "1s", "CONFIRMATIONS": "3", "HTTP_ADDR": httpAddr,
	}
	maps.Copy(env, extra)
	servicetest.Start(t, env, app.Run)

	l := &listener{t: t, chain: chain, eth: chain.Eth, http: httpAddr}
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

// send sends amount base units of test USDT from development account 1 to
// each of to, and mines them into one block, whose number it returns.
func (l *listener) send(amount int64, to ...common.Address) uint64 {
	l.t.Helper()
	key, _, err := hdwallet.DevAccount(1)
	if err != nil {
		l.t.Fatal(err)
	}
	opts := bind.NewKeyedTransactor(key, big.NewInt(devchain.ChainID))
	// The token's ABI without erc20.Token's checks, which refuse a zero amount.
	usdt := erc20.NewTestUSDT()
	token := usdt.Instance(l.eth, common.HexToAddress(erc20.DevTokenAddress))
	var last common.Hash
	for _, addr := range to {
		tx, err := bind.Transact(token, opts, usdt.PackTransfer(addr, big.NewInt(amount)))
		if err != nil {
			l.t.Fatal(err)
		}
		opts.Nonce = new(big.Int).SetUint64(tx.Nonce() + 1)
		last = tx.Hash()
	}
	if err := l.chain.Mine(1); err != nil {
		l.t.Fatal(err)
	}
	r, err := l.eth.TransactionReceipt(l.t.Context(), last)
	if err != nil {
		l.t.Fatal(err)
	}
	return r.BlockNumber.Uint64()
}

// head is the development chain's newest block number.
func (l *listener) head() uint64 {
	l.t.Helper()
	return l.chain.Head()
}

// caughtUp waits until the listener has scanned up to the chain's head.
func (l *listener) caughtUp() {
	l.t.Helper()
	head := l.head()
	servicetest.Eventually(l.t, fmt.Sprintf("the listener at block %d", head), func() bool {
		return l.count("SELECT COUNT(*) FROM cursor_state WHERE block_number >= ?", head) == 1
	})
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

// transfers opens the transfer events waiting in owner's queue.
func (l *listener) transfers(owner string) []events.Transfer {
	l.t.Helper()
	var out []events.Transfer
	for _, d := range l.internal.Take(events.TransferQueue(owner)) {
		data, err := l.keys.Open(broker.Delivery{Body: d.Body, RoutingKey: d.RoutingKey})
		var ev events.Transfer
		if err != nil || json.Unmarshal(data, &ev) != nil {
			l.t.Fatalf("transfer event %s does not open with the suite's keys: %v", d.MessageId, err)
		}
		out = append(out, ev)
	}
	return out
}

// alerts opens the alerts waiting in the notifier's queue.
func (l *listener) alerts() []events.Alert {
	l.t.Helper()
	var out []events.Alert
	for _, d := range l.internal.Take(events.AlertQueue) {
		data, err := l.keys.Open(broker.Delivery{Body: d.Body, RoutingKey: d.RoutingKey})
		var a events.Alert
		if err != nil || json.Unmarshal(data, &a) != nil {
			l.t.Fatalf("alert %s does not open with the suite's keys: %v", d.MessageId, err)
		}
		out = append(out, a)
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
