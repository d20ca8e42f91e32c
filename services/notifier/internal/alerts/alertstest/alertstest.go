// Package alertstest is a local stand-in for the Telegram Bot API's
// sendMessage, for the tests of the operator alerts the notifier sends.
package alertstest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Chat answers sendMessage for one bot token and chat id as the Bot API
// does, and keeps the text of every message it accepts.
type Chat struct {
	// Server serves the API until the test ends; its URL is the API URL.
	Server *httptest.Server

	mu     sync.Mutex
	msgs   []string
	fail   bool
	failed int
}

// NewChat serves the chat chatID of the bot token until the test ends.
func NewChat(t testing.TB, token, chatID string) *Chat {
	c := &Chat{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/bot"+token+"/sendMessage" || r.Method != http.MethodPost {
			http.Error(w, `{"ok":false,"description":"Not Found"}`, http.StatusNotFound)
			return
		}
		var m struct {
			ChatID string `json:"chat_id"`
			Text   string `json:"text"`
		}
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil || m.ChatID != chatID {
			http.Error(w, `{"ok":false,"description":"Bad Request"}`, http.StatusBadRequest)
			return
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.fail {
			c.failed++
			http.Error(w, `{"ok":false,"description":"Too Many Requests"}`, http.StatusTooManyRequests)
			return
		}
		c.msgs = append(c.msgs, m.Text)
		_, _ = w.Write([]byte(`{"ok":true,"result":{}}`))
	}))
	t.Cleanup(c.Server.Close)
	return c
}

// Messages are the texts accepted so far, oldest first.
func (c *Chat) Messages() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.msgs...)
}

// Fail makes every further message fail as rate-limited while on.
func (c *Chat) Fail(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fail = on
}

// Failed is how many messages failed so far.
func (c *Chat) Failed() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failed
}
