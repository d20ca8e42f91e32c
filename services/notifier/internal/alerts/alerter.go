// Package alerts forwards operator alerts to a Telegram chat, rate-limited per
// (kind, key) so that an incident sends a few messages rather than thousands:
// the first alert at once, then at most one summary per interval with the
// count of the alerts held back.
package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/events"
	"paysuite/pkg/service"
	"paysuite/services/notifier/internal/column"
)

// Widths, in characters, of the alert_state columns, and of the service name
// in a chat message: with them a message stays far below what a
// telegram_queue.text holds (64 KiB).
const (
	maxKindLen    = 64
	maxKeyLen     = 191
	maxMessageLen = 1000
	maxServiceLen = 64
	maxChainLen   = 16
	// maxSendAttempts bounds the retries of one chat message.
	maxSendAttempts = 20
)

// Sender delivers one chat message.
type Sender interface {
	Send(ctx context.Context, text string) error
}

// Alerter rate-limits alerts in the database, so that several replicas share
// one limit, and sends the resulting messages through a queue table.
type Alerter struct {
	DB *gorm.DB
	// Sender is nil when no chat is configured: alerts are then only logged.
	Sender      Sender
	MinInterval time.Duration
	// Tick is how often summaries and the send queue are looked at.
	Tick time.Duration
	Log  zerolog.Logger

	kick service.Wake
}

// wake wakes the sender after an alert was queued.
func (a *Alerter) wake() {
	a.kick.Notify()
}

// Enabled reports whether alerts reach a chat.
func (a *Alerter) Enabled() bool { return a.Sender != nil }

// Raise records an alert in its own transaction and wakes the sender.
func (a *Alerter) Raise(ctx context.Context, al events.Alert) error {
	if !a.Enabled() {
		a.logOnly(al)
		return nil
	}
	err := a.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return a.raise(tx, al) })
	if err != nil {
		return fmt.Errorf("raise %s alert: %w", al.Kind, err)
	}
	a.wake()
	return nil
}

// raise records an alert in tx: it queues a chat message when none was sent
// for (kind, chain and key) within MinInterval, else counts it for the next
// summary.
func (a *Alerter) raise(tx *gorm.DB, al events.Alert) error {
	al = fitted(al)
	kind, key, msg := al.Kind, al.Key, al.Message
	if al.Chain != "" {
		key = column.Fit(al.Chain+":"+key, maxKeyLen)
	}
	// A new (kind, key) starts as long ago, so its first alert goes out at once.
	if err := tx.Exec(`INSERT IGNORE INTO alert_state (kind, akey, last_sent_at, suppressed, last_message)
		VALUES (?, ?, '1970-01-02', 0, '')`, kind, key).Error; err != nil {
		return fmt.Errorf("record alert state: %w", err)
	}
	var st struct {
		Suppressed int  `gorm:"column:suppressed"`
		Recent     bool `gorm:"column:recent"`
	}
	if err := tx.Raw(`SELECT suppressed, (last_sent_at > NOW(6) - INTERVAL ? MICROSECOND) AS recent
		FROM alert_state WHERE kind = ? AND akey = ? FOR UPDATE`, a.MinInterval.Microseconds(), kind, key).
		Scan(&st).Error; err != nil {
		return fmt.Errorf("read alert state: %w", err)
	}
	if st.Recent {
		a.Log.Info().Str("kind", kind).Str("key", key).Int("suppressed", st.Suppressed+1).Str("message", msg).
			Msg("alert held back for the next summary")
		return tx.Exec(`UPDATE alert_state SET suppressed = suppressed + 1, last_message = ? WHERE kind = ? AND akey = ?`,
			msg, kind, key).Error
	}
	text := format(al)
	if st.Suppressed > 0 {
		text += fmt.Sprintf("\n(+%d similar alert(s) held back before this one)", st.Suppressed)
	}
	a.Log.Warn().Str("kind", kind).Str("key", key).Str("chain", al.Chain).Str("service", al.Service).Str("message", msg).Msg("alert sent")
	if err := tx.Exec(`UPDATE alert_state SET last_sent_at = NOW(6), suppressed = 0, last_message = ?
		WHERE kind = ? AND akey = ?`, msg, kind, key).Error; err != nil {
		return fmt.Errorf("update alert state: %w", err)
	}
	return enqueue(tx, text)
}

func (a *Alerter) logOnly(al events.Alert) {
	a.Log.Warn().Str("kind", al.Kind).Str("key", al.Key).Str("chain", al.Chain).Str("service", al.Service).Str("message", al.Message).
		Msg("alert (no chat configured)")
}

// HandleQueue is the broker handler of the alert queue.
func (a *Alerter) HandleQueue(ctx context.Context, d broker.Delivery) error {
	var al events.Alert
	if err := json.Unmarshal(d.Body, &al); err != nil || al.Kind == "" {
		return broker.Poison("alert is not a JSON object with a kind")
	}
	return a.Raise(ctx, al)
}

// Run sends summaries and queued messages until ctx is cancelled.
func (a *Alerter) Run(ctx context.Context) error {
	if !a.Enabled() {
		<-ctx.Done()
		return nil
	}
	ticker := time.NewTicker(a.Tick)
	defer ticker.Stop()
	for {
		if err := a.summarize(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn().Err(err).Msg("alert summaries")
		}
		if err := a.sendQueued(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn().Err(err).Msg("send alerts")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		case <-a.kick.C():
		}
	}
}

// summarize queues one summary for each (kind, key) with alerts held back whose
// last message is at least MinInterval old.
func (a *Alerter) summarize(ctx context.Context) error {
	return a.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var due []struct {
			Kind        string `gorm:"column:kind"`
			Key         string `gorm:"column:akey"`
			Suppressed  int    `gorm:"column:suppressed"`
			LastMessage string `gorm:"column:last_message"`
		}
		if err := tx.Raw(`SELECT kind, akey, suppressed, last_message FROM alert_state
			WHERE suppressed > 0 AND last_sent_at <= NOW(6) - INTERVAL ? MICROSECOND
			LIMIT 100 FOR UPDATE SKIP LOCKED`, a.MinInterval.Microseconds()).Scan(&due).Error; err != nil {
			return fmt.Errorf("find alert summaries: %w", err)
		}
		for _, s := range due {
			text := fmt.Sprintf("[paysuite] %s (%s): %d more alert(s) in the last %s. Latest: %s",
				s.Kind, s.Key, s.Suppressed, a.MinInterval, s.LastMessage)
			if err := enqueue(tx, text); err != nil {
				return err
			}
			if err := tx.Exec(`UPDATE alert_state SET suppressed = 0, last_sent_at = NOW(6) WHERE kind = ? AND akey = ?`,
				s.Kind, s.Key).Error; err != nil {
				return fmt.Errorf("update alert state: %w", err)
			}
		}
		return nil
	})
}

// sendQueued sends the due chat messages; each is leased first, so replicas
// do not send one message twice.
func (a *Alerter) sendQueued(ctx context.Context) error {
	for {
		var batch []struct {
			ID       uint64 `gorm:"column:id"`
			Text     string `gorm:"column:text"`
			Attempts int    `gorm:"column:attempts"`
		}
		err := a.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := tx.Raw(`SELECT id, text, attempts FROM telegram_queue
				WHERE next_attempt_at <= NOW(6) AND (lease_until IS NULL OR lease_until < NOW(6))
				ORDER BY id LIMIT 10 FOR UPDATE SKIP LOCKED`).Scan(&batch).Error; err != nil {
				return err
			}
			if len(batch) == 0 {
				return nil
			}
			ids := make([]uint64, len(batch))
			for i, m := range batch {
				ids[i] = m.ID
			}
			return tx.Exec("UPDATE telegram_queue SET lease_until = NOW(6) + INTERVAL 2 MINUTE WHERE id IN ?", ids).Error
		})
		if err != nil {
			return fmt.Errorf("claim chat messages: %w", err)
		}
		if len(batch) == 0 {
			return nil
		}
		for _, m := range batch {
			sendErr := a.Sender.Send(ctx, m.Text)
			db := a.DB.WithContext(context.WithoutCancel(ctx))
			switch {
			case sendErr == nil:
				err = db.Exec("DELETE FROM telegram_queue WHERE id = ?", m.ID).Error
			case m.Attempts+1 >= maxSendAttempts:
				a.Log.Error().Err(sendErr).Uint64("message_id", m.ID).Msg("chat message dropped after repeated failures")
				err = db.Exec("DELETE FROM telegram_queue WHERE id = ?", m.ID).Error
			default:
				retry := min(time.Duration(1<<min(m.Attempts, 8))*time.Second, 5*time.Minute)
				a.Log.Warn().Err(sendErr).Uint64("message_id", m.ID).Dur("retry_in", retry).Msg("chat message not sent")
				err = db.Exec(`UPDATE telegram_queue SET attempts = attempts + 1, lease_until = NULL,
					next_attempt_at = NOW(6) + INTERVAL ? MICROSECOND WHERE id = ?`, retry.Microseconds(), m.ID).Error
			}
			if err != nil {
				return fmt.Errorf("settle chat message %d: %w", m.ID, err)
			}
			if sendErr != nil {
				return nil // the chat is failing: wait for the next tick
			}
		}
	}
}

func enqueue(tx *gorm.DB, text string) error {
	if err := tx.Exec("INSERT INTO telegram_queue (text) VALUES (?)", text).Error; err != nil {
		return fmt.Errorf("queue chat message: %w", err)
	}
	return nil
}

// format renders a fitted alert as a chat message.
func format(al events.Alert) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[paysuite] %s", al.Kind)
	if al.Key != "" {
		fmt.Fprintf(&b, " (%s)", al.Key)
	}
	if al.Chain != "" {
		fmt.Fprintf(&b, " on %s", al.Chain)
	}
	if al.Service != "" {
		fmt.Fprintf(&b, " from %s", al.Service)
	}
	if al.Message != "" {
		b.WriteString(": ")
		b.WriteString(al.Message)
	}
	return b.String()
}

// fitted cuts the texts of an alert to the widths of the columns and of the
// chat message.
func fitted(al events.Alert) events.Alert {
	al.Kind, al.Key, al.Chain = column.Fit(al.Kind, maxKindLen), column.Fit(al.Key, maxKeyLen), column.Fit(al.Chain, maxChainLen)
	al.Service, al.Message = column.Fit(al.Service, maxServiceLen), column.Fit(al.Message, maxMessageLen)
	return al
}
