package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Telegram sends messages through the Bot API's sendMessage method.
type Telegram struct {
	// APIURL is the Bot API base, https://api.telegram.org unless a local
	// Bot API server or a test double is used.
	APIURL string
	Token  string
	ChatID string
	Client *http.Client
}

// Send posts text to the chat. Errors never contain the token, which is part
// of the request URL.
func (t *Telegram) Send(ctx context.Context, text string) error {
	body, err := json.Marshal(map[string]string{"chat_id": t.ChatID, "text": text})
	if err != nil {
		return fmt.Errorf("encode message: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	endpoint := strings.TrimRight(t.APIURL, "/") + "/bot" + t.Token + "/sendMessage"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return errors.New("telegram: cannot build the request (check TELEGRAM_API_URL)")
	}
	req.Header.Set("Content-Type", "application/json")
	client := t.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error would print the URL, token included
		}
		return fmt.Errorf("telegram sendMessage: %w", err)
	}
	defer resp.Body.Close()
	var answer struct {
		OK          bool   `json:"ok"`
		Description string `json:"description"`
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = json.Unmarshal(raw, &answer)
	if resp.StatusCode != http.StatusOK || !answer.OK {
		return fmt.Errorf("telegram sendMessage: HTTP %d: %s", resp.StatusCode, answer.Description)
	}
	return nil
}
