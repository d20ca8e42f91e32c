package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Assignment is an operator's decision that an unmatched transfer pays an
// order, with who took it, why and when.
type Assignment struct {
	TransferID string    `gorm:"column:transfer_id"`
	OrderPK    uint64    `gorm:"column:order_pk"`
	By         string    `gorm:"column:assigned_by"`
	Reason     string    `gorm:"column:reason"`
	Forced     bool      `gorm:"column:forced"`
	CreatedAt  time.Time `gorm:"column:created_at"`
	// RequestID is the order's request_id; only set by the reads.
	RequestID string `gorm:"column:request_id"`
}

// InsertAssignment records a inside tx. A transfer already assigned fails
// with a duplicate-key error (db.IsDuplicateKey).
func InsertAssignment(tx *gorm.DB, a Assignment) error {
	err := tx.Exec(`INSERT INTO assignments (transfer_id, order_pk, assigned_by, reason, forced) VALUES (?, ?, ?, ?, ?)`,
		a.TransferID, a.OrderPK, a.By, a.Reason, a.Forced).Error
	if err != nil {
		return fmt.Errorf("record assignment of %s: %w", a.TransferID, err)
	}
	return nil
}

// AssignmentOf reads the assignment of a transfer inside tx with a shared
// lock, so that it sees one committed after tx began; nil when none.
func AssignmentOf(tx *gorm.DB, transferID string) (*Assignment, error) {
	var rows []Assignment
	err := tx.Raw(`SELECT a.transfer_id, a.order_pk, a.assigned_by, a.reason, a.forced, a.created_at, o.request_id
		FROM assignments a JOIN orders o ON o.id = a.order_pk WHERE a.transfer_id = ? LOCK IN SHARE MODE`, transferID).
		Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find assignment of %s: %w", transferID, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// LockOrdersByKey loads for update the orders whose request_id or order_id
// is key: none, one, or two different orders when key is the request_id of
// one and the order_id of another.
func LockOrdersByKey(tx *gorm.DB, key string) ([]Order, error) {
	var rows []Order
	err := tx.Raw("SELECT "+orderColumns+" FROM orders o WHERE o.request_id = ? OR o.order_id = ? ORDER BY o.id FOR UPDATE",
		key, key).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find order %s: %w", key, err)
	}
	return rows, nil
}

// UnmatchedFilter selects the unmatched transfers ListUnmatched returns.
type UnmatchedFilter struct {
	// Chain keeps those on one chain; empty for all.
	Chain string
	// Assigned includes the transfers already assigned to an order.
	Assigned bool
	Limit    int
}

// UnmatchedEntry is an unmatched transfer as operators list it, with its
// assignment if it has one.
type UnmatchedEntry struct {
	Unmatched
	// AgeSeconds is how long ago it was first recorded, on the database clock.
	AgeSeconds int64 `gorm:"column:age_seconds"`
	// AssignedTo is the request_id of the order it was assigned to, "" when
	// not assigned; AssignedBy and AssignedAt say who assigned it and when.
	AssignedTo string     `gorm:"column:assigned_to"`
	AssignedBy string     `gorm:"column:assigned_by"`
	AssignedAt *time.Time `gorm:"column:assigned_at"`
}

// ListUnmatched lists unmatched transfers, oldest first.
func (s *Store) ListUnmatched(ctx context.Context, f UnmatchedFilter) ([]UnmatchedEntry, error) {
	var rows []UnmatchedEntry
	err := s.db.WithContext(ctx).Raw(`SELECT u.*, TIMESTAMPDIFF(SECOND, u.created_at, NOW(6)) AS age_seconds,
		COALESCE(o.request_id, '') AS assigned_to, COALESCE(a.assigned_by, '') AS assigned_by, a.created_at AS assigned_at
		FROM unmatched_transfers u
		LEFT JOIN assignments a ON a.transfer_id = u.transfer_id LEFT JOIN orders o ON o.id = a.order_pk
		WHERE (? = '' OR u.chain = ?) AND (? OR a.transfer_id IS NULL)
		ORDER BY u.created_at, u.transfer_id LIMIT ?`, f.Chain, f.Chain, f.Assigned, f.Limit).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list unmatched transfers: %w", err)
	}
	return rows, nil
}
