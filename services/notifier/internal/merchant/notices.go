package merchant

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/service"
	"paysuite/pkg/sign"
	"paysuite/services/notifier/internal/column"
)

// QueueName is the notifier's own queue of the order returns, beside the
// business system's: returns are published to the public exchange only, and
// every one of them is signed by the suite.
const QueueName = "pay.notifier.orders.queue"

// Queue is QueueName bound where the order flow's returns are published.
func Queue(names contract.Names) broker.Queue {
	return broker.Queue{Name: QueueName, Bindings: []broker.Binding{{Exchange: names.Exchange, Key: names.Order().ReturnKey}}}
}

// Limits of what is stored and sent.
const (
	// maxMessageChars keeps a chat message, several notices joined, below
	// the Bot API's 4096 characters.
	maxMessageChars = 3500
	maxNoticeIDLen  = 255
	maxRequestIDLen = 64
	maxLinkLen      = 2048
	// batchSize is how many due notices one message may join.
	batchSize = 20
	// defaultMaxAttempts bounds the attempts of one notice: with the backoff
	// capped at five minutes, about an hour of a failing chat.
	defaultMaxAttempts = 20
	maxBackoff         = 5 * time.Minute
	// keepSent is how long a sent notice is remembered, so that a return
	// published again (a repeated request is answered with its stored
	// returns) is not told twice; links are kept as long.
	keepSent = 90 * 24 * time.Hour
	// pruneEvery is how often the remembered notices and links are pruned.
	pruneEvery = time.Hour
)

// Notice states.
const (
	statePending = "pending"
	stateSent    = "sent"
	stateDropped = "dropped"
)

// Sender delivers one chat message.
type Sender interface {
	Send(ctx context.Context, text string) error
}

// Notices turns order returns into merchant notices and sends them.
type Notices struct {
	DB *gorm.DB
	// Sender is nil when no merchant chat is configured: nothing is stored.
	Sender Sender
	// Kinds are the kinds of notices to send.
	Kinds map[Kind]bool
	// SignSecrets are the secrets the suite signs returns with: a return
	// signed with none of them is not the suite's.
	SignSecrets [][]byte
	// MinInterval is the least time between two chat messages, across
	// replicas; the notices due meanwhile go out joined in the next one.
	MinInterval time.Duration
	// Tick is how often the due notices are looked at.
	Tick time.Duration
	// RetryBase is the first retry's delay, doubled at each failure;
	// a second when zero.
	RetryBase time.Duration
	// MaxAttempts bounds the attempts of a notice; defaultMaxAttempts when zero.
	MaxAttempts int
	Log         zerolog.Logger

	kick service.Wake
}

// Enabled reports whether notices reach a chat.
func (n *Notices) Enabled() bool { return n.Sender != nil }

func (n *Notices) wake() {
	n.kick.Notify()
}

// HandleQueue is the broker handler of QueueName. A message the suite did not
// sign is dead-lettered, where the dead-letter watch tells the operators.
func (n *Notices) HandleQueue(ctx context.Context, d broker.Delivery) error {
	fields, err := sign.ParseFields(d.Body)
	if err != nil {
		return broker.Poison("order return: not a JSON object")
	}
	if err := sign.VerifyAny(n.SignSecrets, fields); err != nil {
		return broker.Poison("order return: not signed by the suite")
	}
	id := d.MessageID
	if id == "" || len(id) > maxNoticeIDLen {
		sum := sha256.Sum256(d.Body)
		id = "sha256:" + hex.EncodeToString(sum[:])
	}
	return n.Record(ctx, id, d.Body)
}

// Record stores the notice of an order return, if it is worth one, under
// noticeID (the return's message_id), and wakes the sender. A return
// recorded before is not recorded again.
func (n *Notices) Record(ctx context.Context, noticeID string, body []byte) error {
	if !n.Enabled() {
		return nil
	}
	o, err := ParseOrder(body)
	if err != nil {
		return broker.Poison(err.Error())
	}
	if o.RequestID == "" || len(o.RequestID) > maxRequestIDLen || o.Event == contract.EventRejected {
		return nil // speaks for no order (contract section 3)
	}
	kind, worth := o.Kind()
	worth = worth && n.Kinds[kind]
	queued := false
	err = n.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		link := o.CheckoutURL
		if o.Event == contract.EventCreated && link != "" && len(link) <= maxLinkLen {
			if err := tx.Exec("INSERT IGNORE INTO merchant_links (request_id, url) VALUES (?, ?)", o.RequestID, link).Error; err != nil {
				return fmt.Errorf("record checkout link: %w", err)
			}
		}
		if !worth {
			return nil
		}
		if link == "" {
			var urls []string
			if err := tx.Raw("SELECT url FROM merchant_links WHERE request_id = ?", o.RequestID).Scan(&urls).Error; err != nil {
				return fmt.Errorf("read checkout link: %w", err)
			}
			if len(urls) > 0 {
				link = urls[0]
			}
		}
		text := column.Fit(o.Text(kind, link), maxMessageChars)
		res := tx.Exec("INSERT IGNORE INTO merchant_notices (notice_id, request_id, kind, text) VALUES (?, ?, ?, ?)",
			noticeID, o.RequestID, string(kind), text)
		if res.Error != nil {
			return fmt.Errorf("queue notice: %w", res.Error)
		}
		queued = res.RowsAffected > 0
		return nil
	})
	if err != nil {
		return fmt.Errorf("merchant notice of %s: %w", noticeID, err)
	}
	if queued {
		n.Log.Info().Str("request_id", o.RequestID).Str("kind", string(kind)).Msg("merchant notice queued")
		n.wake()
	}
	return nil
}

// Run sends the due notices until ctx is cancelled.
func (n *Notices) Run(ctx context.Context) error {
	if !n.Enabled() {
		<-ctx.Done()
		return nil
	}
	ticker := time.NewTicker(n.Tick)
	defer ticker.Stop()
	var pruned time.Time
	for {
		if err := n.SendDue(ctx); err != nil && ctx.Err() == nil {
			n.Log.Warn().Err(err).Msg("send merchant notices")
		}
		if time.Since(pruned) >= pruneEvery {
			if err := n.prune(ctx); err != nil && ctx.Err() == nil {
				n.Log.Warn().Err(err).Msg("prune merchant notices")
			}
			pruned = time.Now()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		case <-n.kick.C():
		}
	}
}

// pending is a claimed notice.
type pending struct {
	ID       uint64 `gorm:"column:id"`
	Text     string `gorm:"column:text"`
	Attempts int    `gorm:"column:attempts"`
}

// SendDue sends the due notices, as many as the rate limit lets through: one
// message per MinInterval, joining the notices due at that time.
func (n *Notices) SendDue(ctx context.Context) error {
	for {
		batch, err := n.claim(ctx)
		if err != nil || len(batch) == 0 {
			return err
		}
		texts := make([]string, len(batch))
		for i, p := range batch {
			texts[i] = p.Text
		}
		sendErr := n.Sender.Send(ctx, strings.Join(texts, "\n\n"))
		if err := n.settle(ctx, batch, sendErr); err != nil {
			return err
		}
		if sendErr != nil {
			return nil // the chat is failing: wait for the retry
		}
	}
}

// claim leases the notices of the next message, when the chat's rate limit
// allows one now.
func (n *Notices) claim(ctx context.Context) ([]pending, error) {
	var batch []pending
	err := n.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var chat []struct {
			Recent bool `gorm:"column:recent"`
		}
		if err := tx.Raw(`SELECT last_sent_at > NOW(6) - INTERVAL ? MICROSECOND AS recent FROM merchant_chat WHERE id = 1 FOR UPDATE`,
			n.MinInterval.Microseconds()).Scan(&chat).Error; err != nil {
			return err
		}
		if len(chat) == 0 {
			return errors.New("merchant_chat has no row")
		}
		if chat[0].Recent {
			return nil
		}
		var due []pending
		if err := tx.Raw(`SELECT id, text, attempts FROM merchant_notices
			WHERE state = ? AND next_attempt_at <= NOW(6) AND (lease_until IS NULL OR lease_until < NOW(6))
			ORDER BY id LIMIT `+strconv.Itoa(batchSize)+` FOR UPDATE SKIP LOCKED`, statePending).Scan(&due).Error; err != nil {
			return err
		}
		chars := 0
		for _, p := range due {
			c := len([]rune(p.Text)) + 2
			if len(batch) > 0 && chars+c > maxMessageChars {
				break
			}
			batch, chars = append(batch, p), chars+c
		}
		if len(batch) == 0 {
			return nil
		}
		ids := make([]uint64, len(batch))
		for i, p := range batch {
			ids[i] = p.ID
		}
		if err := tx.Exec("UPDATE merchant_notices SET lease_until = NOW(6) + INTERVAL 2 MINUTE WHERE id IN ?", ids).Error; err != nil {
			return err
		}
		return tx.Exec("UPDATE merchant_chat SET last_sent_at = NOW(6) WHERE id = 1").Error
	})
	if err != nil {
		return nil, fmt.Errorf("claim merchant notices: %w", err)
	}
	return batch, nil
}

// settle records the outcome of sending batch: sent, to retry after a
// backoff, or dropped after MaxAttempts.
func (n *Notices) settle(ctx context.Context, batch []pending, sendErr error) error {
	db := n.DB.WithContext(context.WithoutCancel(ctx))
	maxAttempts, base := n.MaxAttempts, n.RetryBase
	if maxAttempts <= 0 {
		maxAttempts = defaultMaxAttempts
	}
	if base <= 0 {
		base = time.Second
	}
	for _, p := range batch {
		var err error
		switch {
		case sendErr == nil:
			err = db.Exec("UPDATE merchant_notices SET state = ?, text = '', lease_until = NULL WHERE id = ?", stateSent, p.ID).Error
		case p.Attempts+1 >= maxAttempts:
			n.Log.Error().Err(sendErr).Uint64("notice_id", p.ID).Int("attempts", p.Attempts+1).
				Msg("merchant notice dropped after repeated failures")
			err = db.Exec("UPDATE merchant_notices SET state = ?, attempts = attempts + 1, lease_until = NULL WHERE id = ?",
				stateDropped, p.ID).Error
		default:
			retry := min(base<<min(p.Attempts, 16), maxBackoff)
			n.Log.Warn().Err(sendErr).Uint64("notice_id", p.ID).Dur("retry_in", retry).Msg("merchant notice not sent")
			err = db.Exec(`UPDATE merchant_notices SET attempts = attempts + 1, lease_until = NULL,
				next_attempt_at = NOW(6) + INTERVAL ? MICROSECOND WHERE id = ?`, retry.Microseconds(), p.ID).Error
		}
		if err != nil {
			return fmt.Errorf("settle merchant notice %d: %w", p.ID, err)
		}
	}
	return nil
}

// prune forgets the notices sent or dropped, and the links recorded, more
// than keepSent ago.
func (n *Notices) prune(ctx context.Context) error {
	db := n.DB.WithContext(ctx)
	age := keepSent.Microseconds()
	for _, state := range []string{stateSent, stateDropped} {
		if err := db.Exec(`DELETE FROM merchant_notices WHERE state = ? AND created_at < NOW(6) - INTERVAL ? MICROSECOND LIMIT 10000`,
			state, age).Error; err != nil {
			return err
		}
	}
	return db.Exec(`DELETE FROM merchant_links WHERE created_at < NOW(6) - INTERVAL ? MICROSECOND LIMIT 10000`, age).Error
}
