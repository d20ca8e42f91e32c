package e2e

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	amqp "github.com/rabbitmq/amqp091-go"

	"paysuite/pkg/broker/brokertest"
	"paysuite/pkg/erc20"
	"paysuite/pkg/hdwallet"
	"paysuite/pkg/keystore"
	"paysuite/pkg/sign"
)

// Queues and keys of the payout flows, and the wait for their final answers:
// a payout needs CONFIRMATIONS blocks after its own.
const (
	withdrawKey    = "pay.withdraw"
	withdrawQueue  = "pay.withdraw.queue"
	withdrawReturn = "pay.withdraw.return.queue"
	payKey         = "pay.pay"
	payQueue       = "pay.pay.queue"
	payReturn      = "pay.pay.return.queue"
	payoutWait     = 90 * time.Second
)

// Development hot wallets of withdraw and pay (no key file configured).
var (
	withdrawHotPath = "m/44'/60'/2'/0/0"
	payHotPath      = "m/44'/60'/2'/0/1"
)

func devAddress(t testing.TB, path string) common.Address {
	t.Helper()
	key, err := hdwallet.PrivateKeyFromMnemonic(hdwallet.DevMnemonic, path)
	if err != nil {
		t.Fatal(err)
	}
	return crypto.PubkeyToAddress(key.PublicKey)
}

// startMiner mines a block every period until the returned stop is called (or
// the test ends): the development chain of the tests mines only on demand.
func (s *Suite) startMiner(period time.Duration) (stop func()) {
	return s.every(period, func() { _ = s.Chain.Mine(1) })
}

// every calls f every period until stop is called or the test ends; stop
// returns once f is no longer running.
func (s *Suite) every(period time.Duration, f func()) (stop func()) {
	ctx, cancel := context.WithCancel(s.t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		ticker := time.NewTicker(period)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
				f()
			}
		}
	}()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	s.t.Cleanup(stop)
	return stop
}

// startPayout starts a payout service (withdraw or pay) under name and waits
// until it consumes queue, mining meanwhile so that its development funding
// is mined.
func (s *Suite) startPayout(name, svc, queue string, consumers int, extra ...string) {
	s.t.Helper()
	stop := s.startMiner(100 * time.Millisecond)
	defer stop()
	s.StartAs(name, svc, extra...)
	s.WaitConsumers(queue, consumers)
}

// publishSigned signs and publishes requests on one connection, as a business
// system sending a burst would, and returns when the broker confirmed them all.
func (s *Suite) publishSigned(key string, requests []map[string]any) {
	s.t.Helper()
	conn, ch := brokertest.RawChannel(s.t, s.AMQPURL, true)
	defer conn.Close()
	var confirms []*amqp.DeferredConfirmation
	for _, fields := range requests {
		if _, ok := fields["timestamp"]; !ok {
			fields["timestamp"] = time.Now().Unix()
		}
		body, err := sign.Seal(s.secret, fields, time.Now())
		if err != nil {
			s.t.Fatal(err)
		}
		conf, err := ch.PublishWithDeferredConfirmWithContext(s.t.Context(), "pay.exchange", key, true, false,
			amqp.Publishing{ContentType: "application/json", DeliveryMode: amqp.Persistent, Body: body})
		if err != nil {
			s.t.Fatal(err)
		}
		confirms = append(confirms, conf)
	}
	for _, conf := range confirms {
		if ok, err := conf.WaitContext(s.t.Context()); err != nil || !ok {
			s.t.Fatalf("publish not confirmed: %v", err)
		}
	}
}

// eventOf selects the returns of one request and event.
func eventOf(requestID, event string) func(Message) bool {
	return func(m Message) bool { return m.Str("request_id") == requestID && m.Str("event") == event }
}

// waitEvent waits for the first return of requestID with event and returns it.
func waitEvent(t *testing.T, c *Collector, requestID, event string) Message {
	t.Helper()
	msgs := c.WaitFor(t, event+" of "+requestID, payoutWait, func(ms []Message) bool {
		return len(Find(ms, eventOf(requestID, event))) > 0
	})
	return Find(msgs, eventOf(requestID, event))[0]
}

// tokenBalance reads the test USDT balance of addr, in base units.
func (s *Suite) tokenBalance(addr string) *big.Int {
	s.t.Helper()
	bal, err := erc20.NewToken(s.token, s.Eth).BalanceOf(s.t.Context(), common.HexToAddress(addr))
	if err != nil {
		s.t.Fatal(err)
	}
	return bal
}

// transfersTo counts the token's Transfer logs into addr on the chain.
func (s *Suite) transfersTo(addr string) int {
	s.t.Helper()
	logs, err := s.Eth.FilterLogs(s.t.Context(), ethereum.FilterQuery{
		FromBlock: big.NewInt(0),
		Addresses: []common.Address{s.token},
		Topics:    [][]common.Hash{{erc20.TransferEventTopic()}, nil, {common.BytesToHash(common.HexToAddress(addr).Bytes())}},
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return len(logs)
}

// nonceOf is how many transactions addr has sent on the chain.
func (s *Suite) nonceOf(addr common.Address) uint64 {
	s.t.Helper()
	n, err := s.Eth.NonceAt(s.t.Context(), addr, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}

// newAddress returns a fresh address nobody has used.
func newAddress(t testing.TB) string {
	t.Helper()
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return strings.ToLower(crypto.PubkeyToAddress(key.PublicKey).Hex())
}

// keyFile writes key encrypted with passphrase (cheap scrypt parameters) to a
// file of the test's temporary directory and returns its path.
func keyFile(t testing.TB, key *ecdsa.PrivateKey, passphrase string) string {
	t.Helper()
	data, err := keystore.EncryptKey(key, passphrase, keystore.Light())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "hot-key.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// query runs one SQL query on the schema of svc and returns its output.
func (s *Suite) query(svc, sql string) string {
	s.t.Helper()
	out, err := exec.Command("mariadb", "-h127.0.0.1", "-uroot", "-N", "-B", s.dbSchema(svc), "-e", sql).CombinedOutput()
	if err != nil {
		s.t.Fatalf("query %s: %v\n%s", sql, err, out)
	}
	return strings.TrimSpace(string(out))
}

// waitQuery polls a query on svc's schema until it returns want.
func (s *Suite) waitQuery(svc, sql, want string) {
	s.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		if got := s.query(svc, sql); got == want {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s on %s never returned %q", sql, svc, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitExit waits until the process started as name has exited.
func (s *Suite) waitExit(name string, timeout time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for s.Running(name) {
		if time.Now().After(deadline) {
			s.t.Fatalf("%s still running after %s", name, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sameBodies fails unless every message has the same body.
func sameBodies(t *testing.T, what string, msgs []Message) {
	t.Helper()
	if len(msgs) == 0 {
		t.Fatalf("%s: no answer", what)
	}
	for _, m := range msgs[1:] {
		if string(m.Body) != string(msgs[0].Body) {
			t.Fatalf("%s answered differently:\n%s\n%s", what, msgs[0].Body, m.Body)
		}
	}
}

func amountOf(i int) string { return fmt.Sprintf("%d.%06d", i+1, i+1) }

// lastLogContains reports whether the log of the latest process started for
// svc contains substr.
func (s *Suite) lastLogContains(svc, substr string) bool {
	paths := strings.Fields(s.logs[svc])
	if len(paths) == 0 {
		return false
	}
	data, _ := os.ReadFile(paths[len(paths)-1])
	return strings.Contains(string(data), substr)
}
