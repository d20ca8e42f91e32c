package app

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/broker/brokertest"
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
	vhosts := brokertest.NewVhosts(t, "withdraw-test")
	chain, err := devchain.Start(t.Context(), devchain.Config{HTTPAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0",
		BlockPeriod: 200 * time.Millisecond}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = chain.Close() })
	for k, v := range map[string]string{
		"DEV_MODE": "true", "SIGN_SECRET": string(currentSecret), "SIGN_SECRET_PREVIOUS": string(previousSecret),
		"INTERNAL_SECRET": string(internalSecret), "AMQP_URL": vhosts.Public, "AMQP_INTERNAL_URL": vhosts.Internal,
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
	return &suite{t: t, cfg: cfg, chain: chain, eth: eth, db: gdb,
		public: brokertest.Dial(t, vhosts.Public, public), internal: brokertest.Dial(t, vhosts.Internal, internal)}
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
	s.returns = brokertest.Follow(s.t, s.public, s.cfg.Names.WithdrawReturnQueue)
	s.alerts = brokertest.Follow(s.t, s.internal, events.AlertQueue)
	s.webhooks = brokertest.Follow(s.t, s.internal, events.WebhookQueue)
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
	d := brokertest.Next(s.t, ch, what)
	f, err := sign.ParseFields(d.Body)
	if err != nil {
		s.t.Fatalf("%s: not a JSON object: %s", what, d.Body)
	}
	return answer{Delivery: d, fields: f}
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
