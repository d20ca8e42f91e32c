package app_test

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"paysuite/pkg/broker/brokertest"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
	"paysuite/services/notifier/internal/alerts/alertstest"
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
	chat     *alertstest.Chat
	public   *vhost
	internal *vhost
}

func startNotifier(t *testing.T) *notifier {
	t.Helper()
	n := &notifier{t: t, chat: alertstest.NewChat(t, botToken, "-1001")}
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := "notifier-test-" + hex.EncodeToString(b[:])
	n.public, n.internal = openVhost(t, name), openVhost(t, name+"-internal")
	dbc := dbtest.Config(t)
	n.cfg = servicetest.Start(t, map[string]string{
		"DEV_MODE": "true", "SIGN_SECRET": signSecret, "INTERNAL_SECRET": internalSecret,
		"AMQP_URL": n.public.url, "AMQP_INTERNAL_URL": n.internal.url, "MYSQL_DSN": dbc.DSN, "MYSQL_SCHEMA": dbc.Schema,
		"HTTP_ADDR": "127.0.0.1:0", "WEBHOOK_SECRET": webhookSecret, "WEBHOOK_SECRET_PREVIOUS": webhookPrevious,
		"WEBHOOK_POLL_INTERVAL": "50ms", "TELEGRAM_API_URL": n.chat.Server.URL, "TELEGRAM_BOT_TOKEN": botToken,
		"TELEGRAM_CHAT_ID": "-1001",
	}, app.Run)
	n.internal.WaitConsumers(events.AlertQueue, events.WebhookQueue)
	// The notifier has migrated its schema by the time it consumes.
	n.db = dbtest.OpenConfig(t, dbc, nil)
	return n
}

// vhost is a virtual host of the real broker for one test, reached with
// the plain AMQP client.
type vhost struct {
	*servicetest.AMQP
	t    *testing.T
	name string
	url  string
}

func openVhost(t *testing.T, name string) *vhost {
	t.Helper()
	u := brokertest.Vhost(t, name)
	return &vhost{AMQP: servicetest.DialAMQP(t, u), t: t, name: name, url: u}
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
	servicetest.Eventually(v.t, "every message of "+queue+" acknowledged", func() bool { return v.queues()[queue] == 0 })
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
