package app_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	pkgconfig "paysuite/pkg/config"
	"paysuite/pkg/db"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/events"
	"paysuite/services/notifier/internal/app"
	"paysuite/services/notifier/internal/config"
)

// Secrets of the notifier in these tests.
const (
	internalSecret = "notifier-app-test-internal-secret"
	signSecret     = "notifier-app-test-sign-secret"
	// webhookSecret and webhookPrevious are a rotation in progress.
	webhookSecret   = "whsec_Y3VycmVudC13ZWJob29rLWtleS0wMTIzNDU2Nzg5"
	webhookPrevious = "whsec_cHJldmlvdXMtd2ViaG9vay1rZXktMDEyMzQ1Njc4OQ=="
	botToken        = "123456:TEST-TOKEN"
	deadQueue       = "pay.dead.queue"
)

// notifier is the notifier run by app.Run against fresh public and internal
// virtual hosts of the real broker, a fresh schema of the real database and a
// local stand-in for the Telegram Bot API.
type notifier struct {
	t        *testing.T
	cfg      config.Config
	db       *gorm.DB
	chat     *chat
	public   *vhost
	internal *vhost
}

func startNotifier(t *testing.T) *notifier {
	t.Helper()
	n := &notifier{t: t, chat: newChat(t)}
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := "notifier-test-" + hex.EncodeToString(b[:])
	n.public, n.internal = openVhost(t, name), openVhost(t, name+"-internal")
	dbc := dbtest.Config(t)
	for k, v := range map[string]string{
		"DEV_MODE": "true", "SIGN_SECRET": signSecret, "INTERNAL_SECRET": internalSecret,
		"AMQP_URL": n.public.url, "AMQP_INTERNAL_URL": n.internal.url, "MYSQL_DSN": dbc.DSN, "MYSQL_SCHEMA": dbc.Schema,
		"HTTP_ADDR": "127.0.0.1:0", "WEBHOOK_SECRET": webhookSecret, "WEBHOOK_SECRET_PREVIOUS": webhookPrevious,
		"WEBHOOK_POLL_INTERVAL": "50ms", "TELEGRAM_API_URL": n.chat.srv.URL, "TELEGRAM_BOT_TOKEN": botToken,
		"TELEGRAM_CHAT_ID": "-1001",
	} {
		t.Setenv(k, v)
	}
	cfg, err := pkgconfig.Load[config.Config]()
	if err != nil {
		t.Fatal(err)
	}
	n.cfg = cfg
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx, cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("notifier stopped: %v", err)
		}
	})
	for _, queue := range []string{events.AlertQueue, events.WebhookQueue} {
		waitFor(t, "a consumer on "+queue, func() bool {
			info, err := n.internal.inspect(queue)
			return err == nil && info.Consumers > 0
		})
	}
	// The notifier has migrated its schema by the time it consumes.
	if n.db, err = db.Open(t.Context(), dbc, nil, zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := n.db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	return n
}

// vhost is a virtual host of the real broker for one test, with a
// connection and a channel in confirm mode.
type vhost struct {
	t    *testing.T
	name string
	url  string
	conn *amqp.Connection
	ch   *amqp.Channel
}

func openVhost(t *testing.T, name string) *vhost {
	t.Helper()
	rabbitmqctl(t, "add_vhost", name)
	t.Cleanup(func() { rabbitmqctl(t, "delete_vhost", name) })
	rabbitmqctl(t, "set_permissions", "-p", name, "guest", ".*", ".*", ".*")
	v := &vhost{t: t, name: name, url: "amqp://guest:guest@127.0.0.1:5672/" + url.PathEscape(name)}
	var err error
	if v.conn, err = amqp.Dial(v.url); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.conn.Close() })
	if v.ch, err = v.conn.Channel(); err != nil {
		t.Fatal(err)
	}
	if err := v.ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	return v
}

func rabbitmqctl(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("rabbitmqctl", args...).CombinedOutput(); err != nil {
		t.Fatalf("rabbitmqctl %v: %v\n%s", args, err, out)
	}
}

// inspect reads the state of queue on a channel of its own: the broker
// closes a channel whose passive declare names a queue not declared yet.
func (v *vhost) inspect(queue string) (amqp.Queue, error) {
	ch, err := v.conn.Channel()
	if err != nil {
		return amqp.Queue{}, err
	}
	defer ch.Close()
	return ch.QueueDeclarePassive(queue, true, false, false, false, nil)
}

// queues lists the queues of the virtual host with their messages, ready
// and unacknowledged: a queue whose messages are all acknowledged holds 0.
func (v *vhost) queues() map[string]int {
	v.t.Helper()
	out, err := exec.Command("rabbitmqctl", "list_queues", "-p", v.name, "-q", "--no-table-headers", "name", "messages").Output()
	if err != nil {
		v.t.Fatalf("list queues of %s: %v", v.name, err)
	}
	qs := map[string]int{}
	for line := range strings.Lines(string(out)) {
		name, count, ok := strings.Cut(strings.TrimSpace(line), "\t")
		n, err := strconv.Atoi(count)
		if !ok || err != nil {
			v.t.Fatalf("list queues of %s: %q", v.name, line)
		}
		qs[name] = n
	}
	return qs
}

// waitSettled waits until every message of queue was acknowledged: its
// handler committed what it does with it.
func (v *vhost) waitSettled(queue string) {
	v.t.Helper()
	waitFor(v.t, "every message of "+queue+" acknowledged", func() bool { return v.queues()[queue] == 0 })
}

// publish sends body through exchange ("" routes to the queue named key).
func (v *vhost) publish(exchange, key, messageID string, body []byte) {
	v.t.Helper()
	conf, err := v.ch.PublishWithDeferredConfirmWithContext(v.t.Context(), exchange, key, false, false,
		amqp.Publishing{ContentType: "application/json", DeliveryMode: amqp.Persistent, MessageId: messageID, Body: body})
	if err != nil {
		v.t.Fatal(err)
	}
	if ok, err := conf.WaitContext(v.t.Context()); err != nil || !ok {
		v.t.Fatalf("publish %s not confirmed: %v", messageID, err)
	}
}

// take removes and returns the messages ready in queue.
func (v *vhost) take(queue string) []amqp.Delivery {
	v.t.Helper()
	var out []amqp.Delivery
	for {
		d, ok, err := v.ch.Get(queue, true)
		if err != nil {
			v.t.Fatal(err)
		}
		if !ok {
			return out
		}
		out = append(out, d)
	}
}

// chat is a local stand-in for the Telegram Bot API's sendMessage.
type chat struct {
	srv  *httptest.Server
	mu   sync.Mutex
	msgs []string
}

func newChat(t *testing.T) *chat {
	c := &chat{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct {
			Text string `json:"text"`
		}
		if r.URL.Path != "/bot"+botToken+"/sendMessage" || json.NewDecoder(r.Body).Decode(&m) != nil {
			http.Error(w, `{"ok":false,"description":"Bad Request"}`, http.StatusBadRequest)
			return
		}
		c.mu.Lock()
		c.msgs = append(c.msgs, m.Text)
		c.mu.Unlock()
		_, _ = w.Write([]byte(`{"ok":true,"result":{}}`))
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *chat) messages() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.msgs...)
}

// hook is a webhook endpoint that keeps every request it gets.
type hook struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []received
}

type received struct {
	header http.Header
	body   []byte
}

func newHook(t *testing.T) *hook {
	h := &hook{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.got = append(h.got, received{header: r.Header.Clone(), body: body})
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hook) received() []received {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]received(nil), h.got...)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
