// Package outbox implements the transactional outbox: messages are written in the
// same database transaction as the state change that causes them, and a relay
// publishes them to the broker afterwards, so that a crash between commit and
// publish loses nothing.
package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"paysuite/pkg/broker"
)

// Each service that uses the outbox creates the table in its own migrations (each
// service owns its schema), with the columns of Message plus created_at:
//
//	id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, exchange VARCHAR(255),
//	routing_key VARCHAR(255), message_id VARCHAR(255), body MEDIUMBLOB

// Message is one message waiting to be published.
type Message struct {
	ID         uint64 `gorm:"column:id;primaryKey;autoIncrement"`
	Exchange   string `gorm:"column:exchange"`
	RoutingKey string `gorm:"column:routing_key"`
	MessageID  string `gorm:"column:message_id"`
	Body       []byte `gorm:"column:body"`
}

// TableName maps Message to the outbox table.
func (Message) TableName() string { return "outbox" }

// Add stores messages in the caller's transaction; they are published after it commits.
func Add(tx *gorm.DB, msgs ...Message) error {
	if len(msgs) == 0 {
		return nil
	}
	for i := range msgs {
		msgs[i].ID = 0
	}
	if err := tx.CreateInBatches(msgs, 500).Error; err != nil {
		return fmt.Errorf("add %d outbox messages: %w", len(msgs), err)
	}
	return nil
}

// Backlog counts the messages not yet published.
func Backlog(ctx context.Context, db *gorm.DB) (int64, error) {
	var n int64
	err := db.WithContext(ctx).Model(&Message{}).Count(&n).Error
	return n, err
}

// Publisher is what the relay needs of the broker: one outcome per message,
// nil once the broker has confirmed it.
type Publisher interface {
	PublishBatch(ctx context.Context, msgs []broker.Routed) []error
}

// Relay publishes stored messages in id order and deletes them once confirmed.
// Several replicas may run relays on one schema: rows are claimed with
// SKIP LOCKED, so each message is published by one relay at a time.
type Relay struct {
	db       *gorm.DB
	pub      Publisher
	log      zerolog.Logger
	batch    int
	interval time.Duration
	kick     chan struct{}
}

// NewRelay builds a relay that polls every interval and whenever Kick is called.
func NewRelay(db *gorm.DB, pub Publisher, log zerolog.Logger, batch int, interval time.Duration) *Relay {
	if batch <= 0 {
		batch = 200
	}
	if interval <= 0 {
		interval = time.Second
	}
	return &Relay{db: db, pub: pub, log: log, batch: batch, interval: interval, kick: make(chan struct{}, 1)}
}

// Kick wakes the relay after a commit that added messages.
func (r *Relay) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run publishes until ctx is cancelled; on cancellation it makes one last attempt
// to flush what is waiting, bounded by a few seconds.
func (r *Relay) Run(ctx context.Context) error {
	ticker := time.NewTicker(r.interval)
	defer ticker.Stop()
	for {
		if err := r.Drain(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn().Err(err).Msg("outbox relay")
		}
		select {
		case <-ctx.Done():
			flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			return r.Drain(flushCtx)
		case <-ticker.C:
		case <-r.kick:
		}
	}
}

// Drain publishes batches until the outbox is empty, an error occurs, or ctx
// is cancelled between two batches.
func (r *Relay) Drain(ctx context.Context) error {
	for {
		n, err := r.publishBatch(ctx)
		if err != nil || n < r.batch {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// publishBatch claims, publishes and deletes one batch. Once started it runs to
// its end even if ctx is cancelled: cancelling between the publishes and the
// commit of the deletes would publish the batch again at the next start.
//
// The claim runs at READ COMMITTED: at REPEATABLE READ the locking read would
// also lock the gap after the last row, and every handler adding a message
// would wait for the whole batch to be published. The batch is published with
// every message in flight at once, in id order.
func (r *Relay) publishBatch(parent context.Context) (int, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), 30*time.Second)
	defer cancel()
	var published int
	var pubErr error
	err := r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []Message
		err := tx.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"}).
			Order("id").Limit(r.batch).Find(&rows).Error
		if err != nil {
			return fmt.Errorf("claim outbox rows: %w", err)
		}
		if len(rows) == 0 {
			return nil
		}
		msgs := make([]broker.Routed, len(rows))
		for i, m := range rows {
			msgs[i] = broker.Routed{Exchange: m.Exchange, Key: m.RoutingKey, Message: broker.Message{Body: m.Body, MessageID: m.MessageID}}
		}
		ids := make([]uint64, 0, len(rows))
		var failed []error
		for i, err := range r.pub.PublishBatch(ctx, msgs) {
			if err != nil {
				failed = append(failed, err)
				continue
			}
			ids = append(ids, rows[i].ID)
		}
		if len(failed) > 0 {
			pubErr = fmt.Errorf("%d of %d outbox messages not published: %w", len(failed), len(rows), errors.Join(failed[:min(len(failed), 3)]...))
		}
		if len(ids) > 0 {
			if err := tx.Delete(&Message{}, ids).Error; err != nil {
				return fmt.Errorf("delete published outbox rows: %w", err)
			}
		}
		// What was confirmed is deleted even when another publish failed; the
		// rest stays for the next round.
		published = len(ids)
		return nil
	}, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return 0, err
	}
	return published, pubErr
}

// BacklogGauge is a Prometheus gauge of the messages written but not yet
// published, read from the database at each scrape.
func BacklogGauge(db *gorm.DB) prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "paysuite_outbox_backlog", Help: "Messages written but not yet published.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := Backlog(ctx, db)
		if err != nil {
			return -1
		}
		return float64(n)
	})
}
