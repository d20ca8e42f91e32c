package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	pkgconfig "paysuite/pkg/config"
	"paysuite/pkg/db"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/devchain"
	"paysuite/pkg/events"
	"paysuite/pkg/sign"
	"paysuite/pkg/topology"
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

// brokerURL is the test broker, without a virtual host.
const brokerURL = "amqp://guest:guest@127.0.0.1:5672/"

// wait bounds every wait for an outcome.
const wait = time.Minute

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
	returns  <-chan broker.Delivery // the flow's return queue
	alerts   <-chan broker.Delivery // the operator alerts, in the internal virtual host
	webhooks <-chan broker.Delivery // the returns handed to the notifier, in the internal virtual host
}

// newSuite prepares everything but withdraw itself (start).
func newSuite(t *testing.T) *suite {
	t.Helper()
	dbCfg := dbtest.Config(t)
	id := randomID(t)
	publicURL, internalURL := vhost(t, "withdraw-test-"+id), vhost(t, "withdraw-test-internal-"+id)
	chain, err := devchain.Start(t.Context(), devchain.Config{HTTPAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0",
		BlockPeriod: 200 * time.Millisecond}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = chain.Close() })
	for k, v := range map[string]string{
		"DEV_MODE": "true", "SIGN_SECRET": string(currentSecret), "SIGN_SECRET_PREVIOUS": string(previousSecret),
		"INTERNAL_SECRET": string(internalSecret), "AMQP_URL": publicURL, "AMQP_INTERNAL_URL": internalURL,
		"AMQP_REQUEUE_DELAY": "50ms", "MYSQL_DSN": dbCfg.DSN, "MYSQL_SCHEMA": dbCfg.Schema,
		"ETH_RPC_URL": chain.HTTPURL(), "CONFIRMATIONS": "2", "POLL_INTERVAL": "100ms", "HTTP_ADDR": "127.0.0.1:0",
		// One worker: the answers come in the order of the messages.
		"WITHDRAW_WORKERS": "1",
	} {
		t.Setenv(k, v)
	}
	cfg, err := pkgconfig.Load[config.Config]()
	if err != nil {
		t.Fatal(err)
	}
	gdb, err := db.Open(t.Context(), cfg.DB, store.Migrations(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := gdb.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	eth, err := ethclient.Dial(chain.HTTPURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eth.Close)
	public, internal := topology.Split(topology.Suite(cfg.Names))
	internalCfg, err := cfg.Broker.Internal()
	if err != nil {
		t.Fatal(err)
	}
	return &suite{t: t, cfg: cfg, chain: chain, eth: eth, db: gdb,
		public: dial(t, cfg.Broker, public), internal: dial(t, internalCfg, internal)}
}

// start runs withdraw until the test ends and follows its return queue, the
// operator alerts and the notifier's webhook queue.
func (s *suite) start() {
	s.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	var runErr error
	log := zerolog.New(zerolog.NewTestWriter(s.t)).Level(zerolog.WarnLevel)
	go func() {
		defer close(stopped)
		runErr = Run(ctx, s.cfg, log)
	}()
	s.t.Cleanup(func() {
		cancel()
		<-stopped
		if runErr != nil {
			s.t.Errorf("withdraw stopped: %v", runErr)
		}
	})
	s.returns = follow(s.t, s.public, s.cfg.Names.WithdrawReturnQueue)
	s.alerts = follow(s.t, s.internal, events.AlertQueue)
	s.webhooks = follow(s.t, s.internal, events.WebhookQueue)
}

// publish sends body straight to queue through the default exchange, as
// anyone with the broker's credentials can.
func (s *suite) publish(client *broker.Client, queue string, body []byte) {
	s.t.Helper()
	if err := client.Publish(s.t.Context(), "", queue, broker.Message{Body: body}); err != nil {
		s.t.Fatalf("publish to %s: %v", queue, err)
	}
}

// request is a request signed with secret at the time at.
func (s *suite) request(secret []byte, fields map[string]any, at time.Time) []byte {
	s.t.Helper()
	body, err := sign.Seal(secret, fields, at)
	if err != nil {
		s.t.Fatal(err)
	}
	return body
}

// answer is one return as a business system reads it.
type answer struct {
	broker.Delivery
	fields sign.Fields
}

// str reads a field: a string's value, or the JSON text of anything else.
func (a answer) str(name string) string {
	var s string
	if json.Unmarshal(a.fields[name], &s) == nil {
		return s
	}
	return string(a.fields[name])
}

// next is the next message of ch, parsed.
func (s *suite) next(ch <-chan broker.Delivery, what string) answer {
	s.t.Helper()
	select {
	case d := <-ch:
		f, err := sign.ParseFields(d.Body)
		if err != nil {
			s.t.Fatalf("%s: not a JSON object: %s", what, d.Body)
		}
		return answer{Delivery: d, fields: f}
	case <-time.After(wait):
		s.t.Fatalf("%s: nothing within %s", what, wait)
	}
	return answer{}
}

// expect reads the next return and checks that it is the event of requestID
// with status, signed with the current secret only.
func (s *suite) expect(requestID, event string, status int) answer {
	s.t.Helper()
	a := s.next(s.returns, requestID+" "+event)
	if a.str("request_id") != requestID || a.str("event") != event || a.str("status") != strconv.Itoa(status) {
		s.t.Fatalf("got %s, want %s %s with status %d", a.Body, requestID, event, status)
	}
	if sign.Verify(currentSecret, a.fields) != nil || sign.Verify(previousSecret, a.fields) == nil {
		s.t.Fatalf("%s %s is not signed with the current secret alone: %s", requestID, event, a.Body)
	}
	return a
}

// expectRejected reads the next return and checks that it is the rejected
// return of requestID with code: it echoes nothing the sender chose, and
// carries event and status, so it can never pass for a request.
func (s *suite) expectRejected(requestID, code string) answer {
	s.t.Helper()
	a := s.expect(requestID, "rejected", 0)
	if a.str("error") != code || !strings.HasPrefix(a.MessageID, requestID+":rejected:") {
		s.t.Fatalf("got %s (message_id %s), want rejected with %s", a.Body, a.MessageID, code)
	}
	for name := range a.fields {
		if !slices.Contains([]string{"request_id", "event", "status", "error", "message", "timestamp", "sign"}, name) {
			s.t.Fatalf("rejected return echoes %s: %s", name, a.Body)
		}
	}
	return a
}

// follow consumes queue until the test ends.
func follow(t *testing.T, client *broker.Client, queue string) <-chan broker.Delivery {
	t.Helper()
	ch := make(chan broker.Delivery, 256)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := client.Consume(ctx, queue, 1, func(_ context.Context, d broker.Delivery) error {
			ch <- d
			return nil
		})
		if err != nil {
			t.Errorf("follow %s: %v", queue, err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return ch
}

// dial connects the test to a virtual host, declaring topo as the services do.
func dial(t *testing.T, cfg broker.Config, topo broker.Topology) *broker.Client {
	t.Helper()
	cfg.Name = "test-" + t.Name()
	c, err := broker.Dial(t.Context(), cfg, topo, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// vhost creates a virtual host for the test and returns its URL.
func vhost(t *testing.T, name string) string {
	t.Helper()
	rabbitmqctl(t, "add_vhost", name)
	t.Cleanup(func() { rabbitmqctl(t, "delete_vhost", name) })
	rabbitmqctl(t, "set_permissions", "-p", name, "guest", ".*", ".*", ".*")
	return brokerURL + url.PathEscape(name)
}

func rabbitmqctl(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("rabbitmqctl", args...).CombinedOutput(); err != nil {
		t.Fatalf("rabbitmqctl %v: %v\n%s", args, err, out)
	}
}

func randomID(t *testing.T) string {
	t.Helper()
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}
