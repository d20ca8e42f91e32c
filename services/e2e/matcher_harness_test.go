package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Names of the order flow and of the internal queues the order and notifier
// tests look at.
const (
	orderKey         = "pay.order"
	orderReturn      = "pay.order.return.queue"
	orderQueue       = "pay.order.queue"
	alertQueue       = "internal.notifier.alerts.queue"
	listenerWatch    = "internal.listener.watch.queue"
	listenerWatches  = "internal.listener.watchlist.queue"
	devWebhookSecret = "dev-webhook-secret"
)

// haltOnRace makes a race-enabled service binary stop at its first data race,
// so that the test fails instead of the race going unnoticed in a log.
const haltOnRace = "GORACE=halt_on_error=1"

// startOrders runs the chain-listener and the matcher replicas named, and
// follows the order return queue.
func startOrders(t *testing.T, replicas ...string) (*Suite, *Collector) {
	s := NewSuite(t)
	return s, s.runOrders(replicas...)
}

// runOrders runs the chain-listener and the matcher replicas named on s, and
// follows the order return queue.
func (s *Suite) runOrders(replicas ...string) *Collector {
	s.Start("chain-listener")
	for _, name := range replicas {
		s.StartAs(name, "matcher", haltOnRace)
	}
	s.WaitConsumers(listenerWatch, 1)
	s.WaitConsumers(orderQueue, len(replicas))
	return s.Collect(orderReturn)
}

// LogLines counts the lines of the logs of the processes started as svc that
// contain substr, per log file.
func (s *Suite) LogLines(svc, substr string) []int {
	var out []int
	for _, p := range strings.Fields(s.logs[svc]) {
		data, _ := os.ReadFile(p)
		out = append(out, strings.Count(string(data), substr))
	}
	return out
}

// RunCommand runs svc's binary with args and the environment of its service
// (same schema), and returns its standard output.
func (s *Suite) RunCommand(svc string, extra []string, args ...string) string {
	s.t.Helper()
	cmd := exec.CommandContext(s.t.Context(), filepath.Join(binDir, svc), args...)
	cmd.Env = append(s.env(svc), extra...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		s.t.Fatalf("%s %v: %v\n%s", svc, args, err, stderr.String())
	}
	return stdout.String()
}

func returnOf(requestID, event string) func(Message) bool {
	return func(m Message) bool { return m.Str("request_id") == requestID && m.Str("event") == event }
}

func paidOf(requestID string, status int64) func(Message) bool {
	return func(m Message) bool {
		return m.Str("request_id") == requestID && m.Str("event") == "paid" && m.Num("status") == status
	}
}

// distinctOrder drops redeliveries of order returns, keyed as receivers dedupe them.
func distinctOrder(msgs []Message) []Message {
	seen := map[string]bool{}
	var out []Message
	for _, m := range msgs {
		key := fmt.Sprintf("%s|%s|%d|%s|%s", m.Str("request_id"), m.Str("event"), m.Num("status"), m.Str("tx_hash"), m.Str("error"))
		if !seen[key] {
			seen[key] = true
			out = append(out, m)
		}
	}
	return out
}

// waitOrder waits for n distinct returns matching pred and returns them.
func waitOrder(t *testing.T, c *Collector, what string, n int, pred func(Message) bool) []Message {
	t.Helper()
	msgs := c.WaitFor(t, what, wait, func(ms []Message) bool { return len(distinctOrder(Find(ms, pred))) >= n })
	return distinctOrder(Find(msgs, pred))
}

// openOrder publishes an order request and returns its created answer.
func openOrder(t *testing.T, s *Suite, c *Collector, fields map[string]any) Message {
	t.Helper()
	id := fields["request_id"].(string)
	s.Publish(orderKey, fields)
	m := waitOrder(t, c, "created "+id, 1, returnOf(id, "created"))[0]
	s.CheckReturn("order.return.created", m)
	if m.Num("status") != 1 {
		t.Fatalf("order %s refused: %s", id, m.Body)
	}
	return m
}

// checkOrderReturns validates every order return received against its schema
// and signature, and fails on one key reported with two different bodies.
func checkOrderReturns(t *testing.T, s *Suite, msgs []Message) {
	t.Helper()
	bodies := map[string]string{}
	for _, m := range msgs {
		s.CheckReturn("order.return."+m.Str("event"), m)
		key := fmt.Sprintf("%s|%s|%d|%s|%s", m.Str("request_id"), m.Str("event"), m.Num("status"), m.Str("tx_hash"), m.Str("error"))
		if prev, ok := bodies[key]; ok && prev != string(m.Body) {
			t.Errorf("two different bodies for %s:\n%s\n%s", key, prev, m.Body)
		}
		bodies[key] = string(m.Body)
	}
}

// hook is one webhook call as a receiver saw it.
type hook struct {
	ID     string
	Body   string
	Header http.Header
	At     time.Time
	Status int
}

// Receiver is a webhook endpoint on a local HTTP server. It verifies every
// signature itself (Standard Webhooks: v1,base64 HMAC-SHA256 of id.timestamp.body)
// and answers with respond(n), n counting its calls from 1. A respond that
// returns 0 never answers: the handler waits until the test ends.
type Receiver struct {
	URL     string
	t       *testing.T
	secret  []byte
	respond func(n int) int
	mu      sync.Mutex
	calls   []hook
	bad     []string
	inside  int
	release chan struct{}
}

// NewReceiver starts a receiver; it is closed when the test ends.
func NewReceiver(t *testing.T, respond func(n int) int) *Receiver {
	r := &Receiver{t: t, secret: []byte(devWebhookSecret), respond: respond, release: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(r.serve))
	r.URL = srv.URL + "/hook"
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(r.release) }) // runs first: lets hanging handlers return
	return r
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	id, ts, sig := req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp"), req.Header.Get("webhook-signature")
	mac := hmac.New(sha256.New, r.secret)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	r.mu.Lock()
	if !hmac.Equal([]byte(sig), []byte(want)) {
		r.bad = append(r.bad, "bad signature on "+id)
	}
	if sec, err := strconv.ParseInt(ts, 10, 64); err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		r.bad = append(r.bad, "bad timestamp on "+id)
	}
	if req.Header.Get("Content-Type") != "application/json" || id == "" {
		r.bad = append(r.bad, "bad headers on "+id)
	}
	n := len(r.calls) + 1
	status := r.respond(n)
	r.calls = append(r.calls, hook{ID: id, Body: string(body), Header: req.Header.Clone(), At: time.Now(), Status: status})
	if status == 0 {
		r.inside++
	}
	r.mu.Unlock()
	if status == 0 {
		select {
		case <-r.release:
		case <-req.Context().Done():
		}
		r.mu.Lock()
		r.inside--
		r.mu.Unlock()
		return
	}
	w.WriteHeader(status)
}

// Calls returns the calls so far.
func (r *Receiver) Calls() []hook {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hook(nil), r.calls...)
}

// Hanging is the number of calls waiting for an answer that never comes.
func (r *Receiver) Hanging() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inside
}

// CheckSignatures fails the test if any call was not properly signed.
func (r *Receiver) CheckSignatures() {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.bad {
		r.t.Error(b)
	}
}

// waitCalls waits until the receiver got at least n calls.
func waitCalls(t *testing.T, r *Receiver, what string, n int) []hook {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		if calls := r.Calls(); len(calls) >= n {
			return calls
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %d call(s)", what, len(r.Calls()))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// BotAPI is a local stand-in for the Telegram Bot API's sendMessage.
type BotAPI struct {
	URL  string
	mu   sync.Mutex
	msgs []string
}

// NewBotAPI starts one for token and chat; it is closed when the test ends.
func NewBotAPI(t *testing.T, token, chat string) *BotAPI {
	b := &BotAPI{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct {
			ChatID string `json:"chat_id"`
			Text   string `json:"text"`
		}
		if r.URL.Path != "/bot"+token+"/sendMessage" || json.NewDecoder(r.Body).Decode(&m) != nil || m.ChatID != chat {
			http.Error(w, `{"ok":false,"description":"Bad Request"}`, http.StatusBadRequest)
			return
		}
		b.mu.Lock()
		b.msgs = append(b.msgs, m.Text)
		b.mu.Unlock()
		_, _ = w.Write([]byte(`{"ok":true,"result":{"message_id":1}}`))
	}))
	b.URL = srv.URL
	t.Cleanup(srv.Close)
	return b
}

// Messages returns the chat messages so far.
func (b *BotAPI) Messages() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.msgs...)
}
