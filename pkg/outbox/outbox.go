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
	"strconv"
	"sync"
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

// Publisher is what the relay needs of the broker: send sends a batch in
// order and returns once it is on its way; its wait gives one outcome per
// message, nil once the broker has confirmed it. Batches sent one after the
// other reach the broker in that order.
type Publisher interface {
	SendBatch(ctx context.Context, msgs []broker.Routed) (wait func() []error)
}

// inFlight is the most batches a relay keeps waiting for their confirms at
// once. A broker under load confirms persistent messages when it next syncs
// its disk, tens of milliseconds later; meanwhile the next batches are
// claimed and sent, so a message committed during that wait goes out at once
// instead of after it.
const inFlight = 4

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
	// slots holds a token per batch in flight.
	slots   chan struct{}
	pending sync.WaitGroup
	mu      sync.Mutex
	failed  []error // outcomes of finished batches not yet reported, guarded by mu
}

// NewRelay builds a relay that polls every interval and whenever Kick is called.
func NewRelay(db *gorm.DB, pub Publisher, log zerolog.Logger, batch int, interval time.Duration) *Relay {
	if batch <= 0 {
		batch = 200
	}
	if interval <= 0 {
		interval = time.Second
	}
	return &Relay{db: db, pub: pub, log: log, batch: batch, interval: interval,
		kick: make(chan struct{}, 1), slots: make(chan struct{}, inFlight)}
}

// Kick wakes the relay after a commit that added messages.
func (r *Relay) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run publishes until ctx is cancelled; on cancellation it waits for the
// batches in flight and makes one last attempt to flush what is waiting,
// bounded by a few seconds.
func (r *Relay) Run(ctx context.Context) error {
	ticker := time.NewTicker(r.interval)
	defer ticker.Stop()
	for {
		err := r.send(ctx)
		if err == nil {
			err = r.takeFailed()
		}
		if err != nil && ctx.Err() == nil {
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
// is cancelled between two batches, and waits for every batch in flight.
func (r *Relay) Drain(ctx context.Context) error {
	err := r.send(ctx)
	r.pending.Wait()
	return errors.Join(err, r.takeFailed())
}

// send claims and sends batches until one comes back short of a full batch,
// keeping up to inFlight of them waiting for their confirms.
func (r *Relay) send(ctx context.Context) error {
	for {
		select {
		case r.slots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		n, err := r.sendBatch(ctx)
		if err != nil || n < r.batch {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// sendBatch claims a batch and sends it; a goroutine then waits for the
// confirms, deletes what was confirmed, commits and frees the slot taken by
// send. Once sent, a batch runs to its end even if ctx is cancelled:
// cancelling between the publishes and the commit of the deletes would publish
// it again at the next start.
//
// The claim runs at READ COMMITTED: at REPEATABLE READ the locking read would
// also lock the gap after the last row, and every handler adding a message
// would wait for the whole batch to be published. The claim of the next batch
// skips the rows locked by the batches in flight.
func (r *Relay) sendBatch(parent context.Context) (int, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), 30*time.Second)
	tx := r.db.WithContext(ctx).Begin(&sql.TxOptions{Isolation: sql.LevelReadCommitted})
	abandon := func(err error) (int, error) {
		if tx.Error == nil {
			tx.Rollback()
		}
		cancel()
		<-r.slots
		return 0, err
	}
	if tx.Error != nil {
		return abandon(fmt.Errorf("begin outbox claim: %w", tx.Error))
	}
	var rows []Message
	err := tx.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"}).
		Order("id").Limit(r.batch).Find(&rows).Error
	if err != nil {
		return abandon(fmt.Errorf("claim outbox rows: %w", err))
	}
	if len(rows) == 0 {
		return abandon(nil)
	}
	msgs := make([]broker.Routed, len(rows))
	for i, m := range rows {
		msgs[i] = broker.Routed{Exchange: m.Exchange, Key: m.RoutingKey, Message: broker.Message{Body: m.Body, MessageID: m.MessageID}}
	}
	wait := r.pub.SendBatch(ctx, msgs)
	r.pending.Add(1)
	go func() {
		defer r.pending.Done()
		defer func() { <-r.slots }()
		defer cancel()
		if err := r.finish(tx, rows, wait()); err != nil {
			r.mu.Lock()
			r.failed = append(r.failed, err)
			r.mu.Unlock()
		}
	}()
	return len(rows), nil
}

// finish deletes the rows whose messages were confirmed and commits the
// claim; the rest stays for a later batch.
func (r *Relay) finish(tx *gorm.DB, rows []Message, outcomes []error) error {
	ids := make([]uint64, 0, len(rows))
	var failed []error
	for i, err := range outcomes {
		if err != nil {
			failed = append(failed, err)
			continue
		}
		ids = append(ids, rows[i].ID)
	}
	var pubErr error
	if len(failed) > 0 {
		pubErr = fmt.Errorf("%d of %d outbox messages not published: %w", len(failed), len(rows), errors.Join(failed[:min(len(failed), 3)]...))
	}
	if len(ids) > 0 {
		if err := deleteRows(tx, ids); err != nil {
			tx.Rollback()
			return errors.Join(pubErr, fmt.Errorf("delete published outbox rows: %w", err))
		}
	}
	if err := tx.Commit().Error; err != nil {
		return errors.Join(pubErr, fmt.Errorf("commit published outbox rows: %w", err))
	}
	return pubErr
}

// deleteRows deletes the rows with ids inside tx by point look-ups on the
// primary key. A plain DELETE ... WHERE id IN (...) of a few hundred ids
// scans the whole table (the optimizer's choice, hints or not), and a scan
// waits for the rows the other batches in flight hold locked, then deadlocks
// with their deletes. Joining the ids, read from a JSON array, to the table
// in that order makes each one a single-row look-up.
func deleteRows(tx *gorm.DB, ids []uint64) error {
	list := make([]byte, 0, 8*len(ids))
	list = append(list, '[')
	for i, id := range ids {
		if i > 0 {
			list = append(list, ',')
		}
		list = strconv.AppendUint(list, id, 10)
	}
	list = append(list, ']')
	return tx.Exec("DELETE o FROM JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) AS d"+
		" STRAIGHT_JOIN outbox AS o ON o.id = d.id", string(list)).Error
}

// takeFailed returns, and forgets, the errors of the batches finished since
// the last call.
func (r *Relay) takeFailed() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	err := errors.Join(r.failed...)
	r.failed = nil
	return err
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
