package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
	amqp "github.com/rabbitmq/amqp091-go"

	"paysuite/pkg/broker"
	"paysuite/pkg/broker/brokertest"
	"paysuite/pkg/config"
	"paysuite/pkg/devchain"
	"paysuite/pkg/devchain/devchaintest"
	"paysuite/pkg/erc20"
	"paysuite/pkg/ethtx"
	"paysuite/pkg/events"
	"paysuite/pkg/money"
	"paysuite/pkg/sign"
	"paysuite/proto"
)

// Confirmations used by the tests: small, so that they mine few blocks.
const confirmations = 3

// devKeys authenticate internal messages as the services do in development
// mode.
var devKeys = func() events.Keys {
	k, err := events.NewKeys([]byte(config.DevInternalSecret))
	if err != nil {
		panic(err)
	}
	return k
}()

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "paysuite-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := func() int {
		defer os.RemoveAll(dir)
		for _, svc := range services() {
			args := []string{"build", "-o", filepath.Join(dir, svc)}
			if raceEnabled {
				args = append(args, "-race")
			}
			cmd := exec.Command("go", append(args, "paysuite/services/"+svc)...)
			cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
			if err := cmd.Run(); err != nil {
				fmt.Fprintf(os.Stderr, "build %s: %v\n", svc, err)
				return 1
			}
		}
		return m.Run()
	}()
	os.Exit(code)
}

// services lists the service binaries to build: every directory of services/
// with a main package, except the tools.
func services() []string {
	entries, err := os.ReadDir("..")
	if err != nil {
		panic(err)
	}
	var out []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join("..", e.Name(), "main.go")); err != nil || !e.IsDir() {
			continue
		}
		if e.Name() == "payctl" || e.Name() == "devchain" {
			continue
		}
		out = append(out, e.Name())
	}
	return out
}

// Suite is one isolated deployment: its own development chain, RabbitMQ virtual
// host and MariaDB schemas, with the services running as real processes.
type Suite struct {
	t       testing.TB
	Chain   Node
	Eth     *ethclient.Client
	AMQPURL string
	// InternalURL is the suite's internal virtual host, of the messages
	// between services.
	InternalURL string
	vhost       string
	id          string
	procs       map[string]*exec.Cmd
	logs        map[string]string
	logDir      string
	nonces      ethtx.Nonces
	secret      []byte
	schema      *proto.Validator
	token       common.Address
	// more are the chains served besides Chain (ETH), for the tests of
	// several chains (AddChain): with any, the services get the chain list.
	more []*ChainOn
}

func randomID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// NewSuite starts a development chain and prepares an isolated vhost; services
// are started with Start.
func NewSuite(t testing.TB) *Suite {
	t.Helper()
	return NewSuiteOn(t, startChain(t, devchain.Config{}))
}

// startChain starts a development chain with cfg (empty listen addresses are
// free local ports) and stops it when the test ends.
func startChain(t testing.TB, cfg devchain.Config) *devchain.Chain {
	t.Helper()
	return devchaintest.StartWith(t, cfg).Chain
}

// NewSuiteOn prepares an isolated vhost like NewSuite, with the services
// pointed at chain, which the caller started and stops.
func NewSuiteOn(t testing.TB, chain Node) *Suite {
	t.Helper()
	s := &Suite{t: t, id: randomID(), procs: map[string]*exec.Cmd{}, logs: map[string]string{},
		secret: []byte("dev-secret"), token: common.HexToAddress(erc20.DevTokenAddress)}
	s.Chain = chain
	var err error
	if s.Eth, err = ethclient.Dial(chain.HTTPURL()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Eth.Close)

	s.vhost = "e2e-" + s.id
	for _, vhost := range []string{s.vhost, s.internalVhost()} {
		rabbitmqctl(t, "add_vhost", vhost)
		t.Cleanup(func() { rabbitmqctl(t, "delete_vhost", vhost) })
		rabbitmqctl(t, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
	}
	s.AMQPURL = "amqp://guest:guest@127.0.0.1:5672/" + url.PathEscape(s.vhost)
	s.InternalURL = "amqp://guest:guest@127.0.0.1:5672/" + url.PathEscape(s.internalVhost())

	if s.schema, err = proto.NewValidator(); err != nil {
		t.Fatal(err)
	}
	// The log folder must outlive the cleanup below, which dumps the logs of a
	// failed test: cleanups run last-registered first, so register it before.
	s.logDir = t.TempDir()
	t.Cleanup(func() {
		s.stopAll()
		for svc := range s.logs {
			dropSchema(t, s.dbSchema(svc))
		}
		if t.Failed() {
			s.dumpLogs()
		}
	})
	return s
}

func (s *Suite) internalVhost() string { return s.vhost + "-internal" }

// urlOf is the address of the virtual host that holds queue: the internal
// queues are in the internal one.
func (s *Suite) urlOf(queue string) string {
	if strings.HasPrefix(queue, "internal.") {
		return s.InternalURL
	}
	return s.AMQPURL
}

func rabbitmqctl(t testing.TB, args ...string) {
	t.Helper()
	out, err := exec.Command("rabbitmqctl", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("rabbitmqctl %v: %v\n%s", args, err, out)
	}
}

func (s *Suite) dbSchema(svc string) string {
	return "e2e_" + s.id + "_" + strings.ReplaceAll(strings.TrimPrefix(svc, "chain-"), "-", "_")
}

func (s *Suite) env(svc string) []string {
	env := append(os.Environ(),
		"DEV_MODE=true",
		"LOG_LEVEL=debug",
		"AMQP_URL="+s.AMQPURL,
		"AMQP_INTERNAL_URL="+s.InternalURL,
		"AMQP_CONNECTION_NAME="+svc+"-"+s.id,
		"MYSQL_DSN="+mysqlDSN(),
		"MYSQL_SCHEMA="+s.dbSchema(svc),
		"START_BLOCK=0",
		"LEADER_TTL=2s",
		"POLL_INTERVAL=200ms",
	)
	return append(env, s.chainEnv()...)
}

func mysqlDSN() string {
	if dsn := os.Getenv("TEST_MYSQL_DSN"); dsn != "" {
		return dsn
	}
	return "root:@tcp(127.0.0.1:3306)/"
}

// Start runs a service binary with the suite's environment plus extra
// KEY=VALUE settings; svc is also the key used to stop it again.
func (s *Suite) Start(svc string, extra ...string) {
	s.StartAs(svc, svc, extra...)
}

// StartAs runs another replica of svc under the key name.
func (s *Suite) StartAs(name, svc string, extra ...string) {
	s.t.Helper()
	logPath := filepath.Join(s.logDir, fmt.Sprintf("%s-%d.log", name, time.Now().UnixNano()))
	f, err := os.Create(logPath)
	if err != nil {
		s.t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(binDir, svc))
	cmd.Env = append(s.env(svc), extra...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start %s: %v", svc, err)
	}
	s.procs[name] = cmd
	s.logs[svc] += logPath + "\n"
	go func() { _ = cmd.Wait(); f.Close() }()
}

// WaitConsumers waits until queue has at least n consumers: a started service is
// ready once it consumes its queues.
func (s *Suite) WaitConsumers(queue string, n int) {
	s.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		if c := s.consumers(queue); c >= n {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("queue %s never got %d consumer(s)", queue, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *Suite) consumers(queue string) int {
	q, err := inspectQueue(s.urlOf(queue), queue)
	if err != nil {
		return -1
	}
	return q.Consumers
}

// Running reports whether the process started under name is still alive.
func (s *Suite) Running(name string) bool {
	cmd := s.procs[name]
	return cmd != nil && cmd.Process.Signal(syscall.Signal(0)) == nil
}

// Kill stops a service with SIGKILL, as a crash would.
func (s *Suite) Kill(svc string) {
	s.signal(svc, syscall.SIGKILL)
}

func (s *Suite) signal(svc string, sig syscall.Signal) {
	cmd := s.procs[svc]
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	delete(s.procs, svc)
}

func (s *Suite) stopAll() {
	for svc := range s.procs {
		s.signal(svc, syscall.SIGTERM)
	}
}

func (s *Suite) dumpLogs() {
	for svc, paths := range s.logs {
		for _, p := range strings.Fields(paths) {
			data, _ := os.ReadFile(p)
			if len(data) > 20000 {
				data = data[len(data)-20000:]
			}
			s.t.Logf("---- %s (%s) ----\n%s", svc, p, data)
		}
	}
}

func dropSchema(t testing.TB, schema string) {
	out, err := exec.Command("mariadb", "-h127.0.0.1", "-uroot", "-e", "DROP DATABASE IF EXISTS `"+schema+"`").CombinedOutput()
	if err != nil {
		t.Logf("drop schema %s: %v %s", schema, err, out)
	}
}

// Publish sends a signed request through the public exchange; fields that are
// missing get defaults (timestamp) and the signature is computed last.
func (s *Suite) Publish(key string, fields map[string]any) {
	s.t.Helper()
	s.PublishRaw(key, s.sealRequest(fields))
}

// sealRequest signs fields as a business system does, with a fresh timestamp
// unless fields has one.
func (s *Suite) sealRequest(fields map[string]any) []byte {
	s.t.Helper()
	if _, ok := fields["timestamp"]; !ok {
		fields["timestamp"] = time.Now().Unix()
	}
	body, err := sign.Seal(s.secret, fields, time.Now())
	if err != nil {
		s.t.Fatal(err)
	}
	return body
}

// PublishRaw sends body as it is.
func (s *Suite) PublishRaw(key string, body []byte) {
	s.t.Helper()
	conn, ch := brokertest.RawChannel(s.t, s.AMQPURL, true)
	defer conn.Close()
	brokertest.PublishConfirmed(s.t, ch, "pay.exchange", key, amqp.Publishing{
		ContentType: "application/json", DeliveryMode: amqp.Persistent, Body: body,
	})
}

// SendUSDT transfers amount (a decimal string) on ETH from development account `from`.
func (s *Suite) SendUSDT(from int, to string, amount string) common.Hash {
	s.t.Helper()
	return s.On("ETH").SendUSDT(from, to, amount)
}

// Mine mines n blocks.
func (s *Suite) Mine(n int) {
	s.t.Helper()
	if err := s.Chain.Mine(n); err != nil {
		s.t.Fatal(err)
	}
}

// Head returns the current block number.
func (s *Suite) Head() uint64 {
	n, err := s.Eth.BlockNumber(s.t.Context())
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}

// Message is one received return.
type Message struct {
	Body   []byte
	Fields map[string]any
	At     time.Time
	// MessageID is the AMQP message_id it was delivered with.
	MessageID string
}

func (m Message) Str(k string) string {
	v, _ := m.Fields[k].(string)
	return v
}

func (m Message) Num(k string) int64 {
	v, _ := m.Fields[k].(json.Number)
	n, _ := v.Int64()
	return n
}

// Collector gathers every message of a queue.
type Collector struct {
	mu   sync.Mutex
	msgs []Message
	// redelivered are the arrival times of the deliveries the broker flagged
	// as redelivered.
	redelivered []time.Time
	wake        chan struct{}
}

// Collect consumes queue in the suite's vhost until the test ends.
func (s *Suite) Collect(queue string) *Collector {
	s.t.Helper()
	c := &Collector{wake: make(chan struct{}, 1)}
	ctx := s.t.Context()
	go func() {
		for ctx.Err() == nil {
			if err := s.consume(ctx, queue, c); err != nil && ctx.Err() == nil {
				time.Sleep(200 * time.Millisecond) // the queue may not be declared yet, or the connection was closed
			}
		}
	}()
	return c
}

func (s *Suite) consume(ctx context.Context, queue string, c *Collector) error {
	internal := s.urlOf(queue) == s.InternalURL
	return consumeQueue(ctx, s.urlOf(queue), queue, 0, func(d amqp.Delivery) {
		m := Message{Body: d.Body, At: time.Now(), Fields: map[string]any{}, MessageID: d.MessageId}
		if internal {
			// What the services read of a genuine internal message.
			if data, err := devKeys.Open(broker.Delivery{Body: d.Body, RoutingKey: d.RoutingKey}); err == nil {
				m.Body = data
			}
		}
		dec := json.NewDecoder(bytes.NewReader(m.Body))
		dec.UseNumber()
		_ = dec.Decode(&m.Fields)
		for k, v := range d.Headers {
			if s, ok := v.(string); ok {
				m.Fields["header:"+k] = s
			}
		}
		c.mu.Lock()
		c.msgs = append(c.msgs, m)
		if d.Redelivered {
			c.redelivered = append(c.redelivered, m.At)
		}
		c.mu.Unlock()
		select {
		case c.wake <- struct{}{}:
		default:
		}
	})
}

// consumeQueue consumes queue on the virtual host at list (one address, or
// the addresses of a cluster's nodes separated by commas), with at most
// prefetch deliveries unacknowledged (0: no limit). It acks each delivery
// once handle returns, until ctx ends (nil) or the consumer fails.
func consumeQueue(ctx context.Context, list, queue string, prefetch int, handle func(amqp.Delivery)) error {
	return tryChannel(list, func(ch *amqp.Channel) error {
		if prefetch > 0 {
			if err := ch.Qos(prefetch, 0, false); err != nil {
				return err
			}
		}
		deliveries, err := ch.Consume(queue, "", false, false, false, false, nil)
		if err != nil {
			return err
		}
		for {
			select {
			case <-ctx.Done():
				return nil
			case d, ok := <-deliveries:
				if !ok {
					return fmt.Errorf("consumer of %s closed", queue)
				}
				handle(d)
				_ = d.Ack(false)
			}
		}
	})
}

// inspectQueue returns the state of queue on the virtual host at list.
func inspectQueue(list, queue string) (q amqp.Queue, err error) {
	err = tryChannel(list, func(ch *amqp.Channel) error {
		q, err = ch.QueueDeclarePassive(queue, true, false, false, false, nil)
		return err
	})
	return q, err
}

// tryChannel runs op on a fresh channel of the virtual host at list (one
// address, or a cluster's node addresses separated by commas) and returns its
// error.
func tryChannel(list string, op func(*amqp.Channel) error) error {
	conn, err := broker.DialAny(list, amqp.Config{})
	if err != nil {
		return err
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	return op(ch)
}

// All returns a copy of the messages received so far.
func (c *Collector) All() []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Message(nil), c.msgs...)
}

// WaitFor waits until pred holds for the messages received, or fails the test.
func (c *Collector) WaitFor(t testing.TB, what string, timeout time.Duration, pred func([]Message) bool) []Message {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		msgs := c.All()
		if pred(msgs) {
			return msgs
		}
		select {
		case <-c.wake:
		case <-time.After(100 * time.Millisecond):
		case <-deadline.C:
			for _, m := range msgs {
				t.Logf("received: %s", m.Body)
			}
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
	}
}

// rejectedSchema validates the answer to a message the suite did not accept
// as a request, on every flow's return queue.
const rejectedSchema = "return.rejected"

func rejectedOf(requestID string) func(Message) bool {
	return func(m Message) bool { return m.Str("request_id") == requestID && m.Str("event") == "rejected" }
}

// Find returns the messages matching pred.
func Find(msgs []Message, pred func(Message) bool) []Message {
	var out []Message
	for _, m := range msgs {
		if pred(m) {
			out = append(out, m)
		}
	}
	return out
}

// CheckReturn validates a return against its schema and its signature.
func (s *Suite) CheckReturn(schema string, m Message) {
	s.t.Helper()
	if err := s.schema.Validate(schema, m.Body); err != nil {
		s.t.Errorf("%s does not validate against %s: %v", m.Body, schema, err)
	}
	fields, err := sign.ParseFields(m.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := sign.Verify(s.secret, fields); err != nil {
		s.t.Errorf("%s: signature: %v", m.Body, err)
	}
}

// USDT returns the base units of a decimal amount.
func USDT(amount string) *big.Int {
	d, err := money.Parse(amount, erc20.Decimals)
	if err != nil {
		panic(err)
	}
	return money.ToBaseUnits(d, erc20.Decimals)
}

// SendUSDTBatch sends several transfers on ETH in one transaction with transferBatch.
func (s *Suite) SendUSDTBatch(from int, to []string, amounts []string) common.Hash {
	s.t.Helper()
	return s.On("ETH").SendUSDTBatch(from, to, amounts)
}
