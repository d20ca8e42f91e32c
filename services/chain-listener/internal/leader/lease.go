// Package leader elects one active replica through a lease row in MySQL, so that
// exactly one chain-listener scans at a time and another takes over when it dies.
package leader

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"gorm.io/gorm"
)

// ErrNotLeader is returned by Fence when this replica does not hold the lease.
var ErrNotLeader = errors.New("not the leader")

// Lease is one replica's view of a named lease.
type Lease struct {
	db     *gorm.DB
	name   string
	holder string
	ttl    time.Duration
	log    zerolog.Logger
	held   atomic.Bool
	change chan bool
}

// New returns a lease named name that this replica, identified by holder, competes for.
func New(db *gorm.DB, name, holder string, ttl time.Duration, log zerolog.Logger) *Lease {
	return &Lease{db: db, name: name, holder: holder, ttl: ttl, log: log, change: make(chan bool, 1)}
}

// IsLeader reports whether the lease was held at the last renewal.
func (l *Lease) IsLeader() bool { return l.held.Load() }

// Changes delivers the new state whenever leadership is gained or lost.
func (l *Lease) Changes() <-chan bool { return l.change }

// Run acquires and renews the lease every third of its TTL until ctx ends, then
// releases it so that another replica can take over at once.
func (l *Lease) Run(ctx context.Context) error {
	ticker := time.NewTicker(l.ttl / 3)
	defer ticker.Stop()
	for {
		held, err := l.tryAcquire(ctx)
		if err != nil && ctx.Err() == nil {
			l.log.Warn().Err(err).Msg("leader lease renewal failed")
		}
		l.set(held && err == nil)
		select {
		case <-ctx.Done():
			l.release()
			l.set(false)
			return nil
		case <-ticker.C:
		}
	}
}

func (l *Lease) set(held bool) {
	if l.held.Swap(held) == held {
		return
	}
	l.log.Info().Bool("leader", held).Str("holder", l.holder).Msg("leadership changed")
	select {
	case l.change <- held:
	default:
		// Replace a stale unread state with the newest one.
		select {
		case <-l.change:
		default:
		}
		l.change <- held
	}
}

// tryAcquire takes the lease when it is free or expired, or extends it when held.
// MySQL applies the assignments left to right, so expires_at sees the new holder.
func (l *Lease) tryAcquire(ctx context.Context) (bool, error) {
	micros := l.ttl.Microseconds()
	err := l.db.WithContext(ctx).Exec(`INSERT INTO leader_lease (name, holder, expires_at)
VALUES (?, ?, NOW(6) + INTERVAL ? MICROSECOND)
ON DUPLICATE KEY UPDATE
  holder = IF(holder = VALUES(holder) OR expires_at < NOW(6), VALUES(holder), holder),
  expires_at = IF(holder = VALUES(holder), VALUES(expires_at), expires_at)`,
		l.name, l.holder, micros).Error
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", l.name, err)
	}
	var holder string
	if err := l.db.WithContext(ctx).Raw(`SELECT holder FROM leader_lease WHERE name = ?`, l.name).Scan(&holder).Error; err != nil {
		return false, fmt.Errorf("read lease %s: %w", l.name, err)
	}
	return holder == l.holder, nil
}

func (l *Lease) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := l.db.WithContext(ctx).Exec(`UPDATE leader_lease SET expires_at = NOW(6) WHERE name = ? AND holder = ?`,
		l.name, l.holder).Error
	if err != nil {
		l.log.Warn().Err(err).Msg("release leader lease")
	}
}

// Fence locks the lease row inside tx and fails unless this replica holds an
// unexpired lease, so that a replica that lost the lease cannot commit scan results.
func (l *Lease) Fence(tx *gorm.DB) error {
	var row struct {
		Holder string
		Valid  bool
	}
	err := tx.Raw(
		`SELECT holder, expires_at > NOW(6) AS valid FROM leader_lease WHERE name = ? FOR UPDATE`, l.name).
		Scan(&row).Error
	if err != nil {
		return fmt.Errorf("fence lease %s: %w", l.name, err)
	}
	if row.Holder != l.holder || !row.Valid {
		l.set(false)
		return ErrNotLeader
	}
	return nil
}
