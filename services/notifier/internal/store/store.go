// Package store persists the notifier's state in its own schema: the webhook
// deliveries and their attempts, the endpoints that answered 410 Gone, and the
// operator alerts waiting to be sent.
package store

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"gorm.io/gorm"

	"paysuite/pkg/db"
	"paysuite/services/notifier/internal/column"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are the schema's versioned migrations.
func Migrations() fs.FS { return db.Migrations(migrations, "migrations") }

// Delivery states.
const (
	StatePending   = "pending"
	StateDelivered = "delivered"
	StateFailed    = "failed"
	StateGone      = "gone"
)

// Widths of the columns that hold text from outside: characters of utf8mb4.
const (
	// maxErrorLen is what the error columns hold.
	maxErrorLen = 1024
	// maxHostLen is what deliveries.host holds.
	maxHostLen = 255
)

// Store reads and writes the notifier's schema.
type Store struct {
	db *gorm.DB

	claimMu  sync.Mutex
	lastHost string // where the last claim stopped; the next one starts after it
}

// New wraps an open database.
func New(gdb *gorm.DB) *Store { return &Store{db: gdb} }

// DB returns the handle for transactions.
func (s *Store) DB() *gorm.DB { return s.db }

// URLHash is the key of an endpoint: hex SHA-256 of its URL.
func URLHash(u string) string {
	h := sha256.Sum256([]byte(u))
	return hex.EncodeToString(h[:])
}

// Host is the host[:port] of an endpoint, lowercase, for per-host limits; a
// host longer than the column holds is cut (it only groups deliveries).
func Host(u string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return column.Fit(strings.ToLower(parsed.Host), maxHostLen)
}

// Delivery is one webhook and its progress.
type Delivery struct {
	ID            uint64     `gorm:"column:id" json:"id"`
	WebhookID     string     `gorm:"column:webhook_id" json:"webhook_id"`
	Flow          string     `gorm:"column:flow" json:"flow"`
	RequestID     string     `gorm:"column:request_id" json:"request_id"`
	Event         string     `gorm:"column:event" json:"event"`
	Status        int        `gorm:"column:status" json:"status"`
	URL           string     `gorm:"column:url" json:"url"`
	Host          string     `gorm:"column:host" json:"-"`
	Body          []byte     `gorm:"column:body" json:"-"`
	State         string     `gorm:"column:state" json:"state"`
	Attempts      int        `gorm:"column:attempts" json:"attempts"`
	RoundAttempts int        `gorm:"column:round_attempts" json:"-"`
	LastStatus    *int       `gorm:"column:last_status" json:"last_status,omitempty"`
	LastError     *string    `gorm:"column:last_error" json:"last_error,omitempty"`
	NextAttemptAt time.Time  `gorm:"column:next_attempt_at" json:"next_attempt_at"`
	CreatedAt     time.Time  `gorm:"column:created_at" json:"created_at"`
	DeliveredAt   *time.Time `gorm:"column:delivered_at" json:"delivered_at,omitempty"`
}

const deliveryColumns = `id, webhook_id, flow, request_id, event, status, url, host, body, state, attempts,
	round_attempts, last_status, last_error, next_attempt_at, created_at, delivered_at`

// Claim leases up to limit due deliveries to owner for lease, skipping rows
// other replicas hold. inFlight counts this replica's attempts per host; no
// host gets more than hostLimit: the due rows of a host at its limit stay due
// for a later claim. Each claim counts as an attempt: the returned Attempts and
// RoundAttempts include it.
//
// The claim walks the hosts with pending deliveries on the (state, host,
// next_attempt_at) index, one probe per host, and takes the oldest due rows of
// each host with room: the backlog of one slow endpoint is never scanned, and
// a leased row leaves the due range because its next_attempt_at moves to the
// end of the lease. Each claim starts after the host the previous one stopped
// at, so that every host gets its turn when the workers are all busy.
func (s *Store) Claim(ctx context.Context, owner string, limit int, inFlight map[string]int, hostLimit int,
	lease time.Duration) (claimed []Delivery, err error) {
	s.claimMu.Lock()
	defer s.claimMu.Unlock()
	var last string
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		claimed, last = nil, s.lastHost
		var ids []uint64
		for host, err := range hostsAfter(tx, s.lastHost) {
			if err != nil {
				return err
			}
			if len(claimed) == limit {
				break
			}
			room := min(hostLimit-inFlight[host], limit-len(claimed))
			if room <= 0 {
				continue
			}
			var due []Delivery
			if err := tx.Raw("SELECT "+deliveryColumns+` FROM deliveries
				WHERE state = ? AND host = ? AND next_attempt_at <= NOW(6) AND (lease_until IS NULL OR lease_until < NOW(6))
				ORDER BY next_attempt_at, id LIMIT ? FOR UPDATE SKIP LOCKED`, StatePending, host, room).Scan(&due).Error; err != nil {
				return fmt.Errorf("claim deliveries to %s: %w", host, err)
			}
			for _, d := range due {
				d.Attempts++
				d.RoundAttempts++
				claimed = append(claimed, d)
				ids = append(ids, d.ID)
			}
			if len(due) > 0 {
				last = host
			}
		}
		if len(ids) == 0 {
			return nil
		}
		if err := tx.Exec(`UPDATE deliveries SET attempts = attempts + 1, round_attempts = round_attempts + 1,
			lease_owner = ?, lease_until = NOW(6) + INTERVAL ? MICROSECOND, next_attempt_at = NOW(6) + INTERVAL ? MICROSECOND
			WHERE id IN ?`, owner, lease.Microseconds(), lease.Microseconds(), ids).Error; err != nil {
			return fmt.Errorf("lease deliveries: %w", err)
		}
		return nil
	}, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return nil, err
	}
	s.lastHost = last
	return claimed, nil
}

// hostsAfter yields the hosts with pending deliveries, in name order, from the
// one after start round to start itself, or the error that ends the walk: one
// index probe each, where a GROUP BY would read every pending row.
func hostsAfter(tx *gorm.DB, start string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		host, wrapped := start, false
		for {
			var next []string
			if err := tx.Raw("SELECT host FROM deliveries WHERE state = ? AND host > ? ORDER BY host LIMIT 1",
				StatePending, host).Scan(&next).Error; err != nil {
				yield("", fmt.Errorf("find hosts with pending deliveries: %w", err))
				return
			}
			if len(next) == 0 || (wrapped && next[0] > start) {
				if wrapped || start == "" {
					return
				}
				host, wrapped = "", true
				continue
			}
			host = next[0]
			if !yield(host, nil) {
				return
			}
			if wrapped && host == start {
				return
			}
		}
	}
}

// Attempt is one recorded delivery attempt.
type Attempt struct {
	DeliveryID uint64    `gorm:"column:delivery_id" json:"delivery_id"`
	Attempt    int       `gorm:"column:attempt" json:"attempt"`
	Worker     string    `gorm:"column:worker" json:"worker"`
	StartedAt  time.Time `gorm:"column:started_at" json:"started_at"`
	DurationMS int64     `gorm:"column:duration_ms" json:"duration_ms"`
	StatusCode *int      `gorm:"column:status_code" json:"status_code,omitempty"`
	Error      *string   `gorm:"column:error" json:"error,omitempty"`
}

// Result is what an attempt decided.
type Result struct {
	Attempt Attempt
	// State is the delivery's new state; for StatePending, RetryIn is the delay
	// before the next attempt.
	State   string
	RetryIn time.Duration
}

// Finish records an attempt and its outcome, as FinishBatch does for several.
func (s *Store) Finish(ctx context.Context, d Delivery, owner string, r Result) error {
	return s.FinishBatch(ctx, owner, []Finished{{Delivery: d, Result: r}})
}

// Release gives back deliveries that owner claimed and did not attempt: they
// are due again at once, and the claim no longer counts as an attempt.
func (s *Store) Release(ctx context.Context, owner string, ds []Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	ids := make([]uint64, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	slices.Sort(ids)
	if err := s.db.WithContext(ctx).Exec(`UPDATE deliveries SET attempts = attempts - 1, round_attempts = round_attempts - 1,
		lease_owner = NULL, lease_until = NULL, next_attempt_at = NOW(6)
		WHERE id IN ? AND lease_owner = ? AND state = ?`, ids, owner, StatePending).Error; err != nil {
		return fmt.Errorf("release %d deliveries: %w", len(ds), err)
	}
	return nil
}

// Finished is an attempt to record with FinishBatch.
type Finished struct {
	Delivery Delivery
	Result   Result
}

// FinishBatch records several attempts and their outcomes in one transaction
// of a few statements: every attempt a worker makes would otherwise cost a
// commit of its own. A delivery is updated only if owner still holds the lease
// of that attempt; a 410 Gone also retires every other pending delivery to the
// same endpoint.
func (s *Store) FinishBatch(ctx context.Context, owner string, fs []Finished) error {
	if len(fs) == 0 {
		return nil
	}
	// The rows are updated in id order, the order in which the UPDATE below
	// locks them, so that two batches cannot lock them crosswise.
	fs = slices.Clone(fs)
	slices.SortFunc(fs, func(a, b Finished) int { return cmp.Compare(a.Delivery.ID, b.Delivery.ID) })
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		attempts := make([]any, 0, 7*len(fs))
		ids := make([]uint64, 0, len(fs))
		var state, lastStatus, lastError, next, attemptsOf strings.Builder
		var stateArgs, statusArgs, errorArgs, nextArgs, attemptsArgs, delivered []any
		var gone []Delivery
		for _, f := range fs {
			d, a := f.Delivery, f.Result.Attempt
			a.Error = truncated(a.Error)
			attempts = append(attempts, d.ID, a.Attempt, a.Worker, a.StartedAt, a.DurationMS, a.StatusCode, a.Error)
			ids = append(ids, d.ID)
			state.WriteString(" WHEN ? THEN ?")
			stateArgs = append(stateArgs, d.ID, f.Result.State)
			lastStatus.WriteString(" WHEN ? THEN ?")
			statusArgs = append(statusArgs, d.ID, a.StatusCode)
			lastError.WriteString(" WHEN ? THEN ?")
			errorArgs = append(errorArgs, d.ID, a.Error)
			attemptsOf.WriteString(" WHEN ? THEN ?")
			attemptsArgs = append(attemptsArgs, d.ID, d.Attempts)
			switch f.Result.State {
			case StateDelivered:
				delivered = append(delivered, d.ID)
			case StatePending:
				next.WriteString(" WHEN ? THEN NOW(6) + INTERVAL ? MICROSECOND")
				nextArgs = append(nextArgs, d.ID, f.Result.RetryIn.Microseconds())
			case StateGone:
				gone = append(gone, d)
			}
		}
		if err := tx.Exec(`INSERT INTO attempts (delivery_id, attempt, worker, started_at, duration_ms, status_code, error)
			VALUES `+placeholders(len(fs), 7), attempts...).Error; err != nil {
			return fmt.Errorf("record %d attempts: %w", len(fs), err)
		}
		set := "state = CASE id" + state.String() + " END, last_status = CASE id" + lastStatus.String() +
			" END, last_error = CASE id" + lastError.String() + " END, lease_owner = NULL, lease_until = NULL"
		args := slices.Concat(stateArgs, statusArgs, errorArgs)
		if len(delivered) > 0 {
			set += ", delivered_at = CASE WHEN id IN ? THEN NOW(6) ELSE delivered_at END"
			args = append(args, delivered)
		}
		if len(nextArgs) > 0 {
			set += ", next_attempt_at = CASE id" + next.String() + " ELSE next_attempt_at END"
			args = append(args, nextArgs...)
		}
		// A delivery whose lease passed to another owner or to another
		// attempt keeps the state that owner gives it.
		args = append(args, ids, owner)
		args = append(args, attemptsArgs...)
		if err := tx.Exec("UPDATE deliveries SET "+set+" WHERE id IN ? AND lease_owner = ? AND attempts = CASE id"+
			attemptsOf.String()+" END", args...).Error; err != nil {
			return fmt.Errorf("update %d deliveries: %w", len(fs), err)
		}
		for _, d := range gone {
			if err := retireEndpoint(tx, d.URL); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("finish %d deliveries: %w", len(fs), err)
	}
	return nil
}

// retireEndpoint records that url answered 410 Gone and retires the other
// pending deliveries to it.
func retireEndpoint(tx *gorm.DB, url string) error {
	hash := URLHash(url)
	if err := tx.Exec("INSERT IGNORE INTO gone_endpoints (url_hash, url) VALUES (?, ?)", hash, url).Error; err != nil {
		return fmt.Errorf("record gone endpoint: %w", err)
	}
	if err := tx.Exec("UPDATE deliveries SET state = ? WHERE url_hash = ? AND state = ?",
		StateGone, hash, StatePending).Error; err != nil {
		return fmt.Errorf("retire deliveries to gone endpoint: %w", err)
	}
	return nil
}

// truncated fits an error message to the error columns.
func truncated(msg *string) *string {
	if msg == nil {
		return nil
	}
	fit := column.Fit(*msg, maxErrorLen)
	return &fit
}

// Filter selects deliveries for operators.
type Filter struct {
	// Failed selects deliveries that will not be attempted again: failed or gone.
	Failed    bool
	RequestID string
	Limit     int
}

// List returns deliveries, newest first.
func (s *Store) List(ctx context.Context, f Filter) ([]Delivery, error) {
	q := "SELECT " + deliveryColumns + " FROM deliveries WHERE 1 = 1"
	var args []any
	if f.Failed {
		q += " AND state IN ?"
		args = append(args, []string{StateFailed, StateGone})
	}
	if f.RequestID != "" {
		q += " AND request_id = ?"
		args = append(args, f.RequestID)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, f.Limit)
	var out []Delivery
	if err := s.db.WithContext(ctx).Raw(q, args...).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return out, nil
}

// Attempts returns the attempts of delivery id, oldest first.
func (s *Store) Attempts(ctx context.Context, id uint64) ([]Attempt, error) {
	var out []Attempt
	if err := s.db.WithContext(ctx).Raw(`SELECT delivery_id, attempt, worker, started_at, duration_ms, status_code, error
		FROM attempts WHERE delivery_id = ? ORDER BY id`, id).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("list attempts of delivery %d: %w", id, err)
	}
	return out, nil
}

// Redeliver puts a failed or gone delivery back in the queue with a fresh retry
// schedule, and re-enables its endpoint. It reports false when id is not a
// failed or gone delivery.
func (s *Store) Redeliver(ctx context.Context, id uint64) (bool, error) {
	var ok bool
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var urls []string
		if err := tx.Raw("SELECT url FROM deliveries WHERE id = ? AND state IN ? FOR UPDATE",
			id, []string{StateFailed, StateGone}).Scan(&urls).Error; err != nil {
			return err
		}
		if len(urls) == 0 {
			return nil
		}
		ok = true
		if err := tx.Exec("DELETE FROM gone_endpoints WHERE url_hash = ?", URLHash(urls[0])).Error; err != nil {
			return err
		}
		return tx.Exec(`UPDATE deliveries SET state = ?, round_attempts = 0, next_attempt_at = NOW(6),
			lease_owner = NULL, lease_until = NULL WHERE id = ?`, StatePending, id).Error
	})
	if err != nil {
		return false, fmt.Errorf("redeliver %d: %w", id, err)
	}
	return ok, nil
}

// Retryable reports whether err is a deadlock or lock wait timeout: the
// transaction was rolled back and may simply be run again.
func Retryable(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205)
}
