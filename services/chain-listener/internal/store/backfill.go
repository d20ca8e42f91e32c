package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm/clause"
)

// Registration is what an owner asked for one address: that its transfers
// be reported to Owner, from FromBlock on (nil: the registration did not say).
type Registration struct {
	Owner     string
	FromBlock *uint64
}

// AddWatched records addresses (address to registration) with one statement
// and returns the owner on record for each: an address watched before keeps
// its first owner and its first registration.
func (s *Store) AddWatched(ctx context.Context, regs map[string]Registration) (map[string]string, error) {
	if len(regs) == 0 {
		return map[string]string{}, nil
	}
	rows := make([]Watched, 0, len(regs))
	addrs := make([]string, 0, len(regs))
	for addr, reg := range regs {
		rows = append(rows, Watched{Chain: s.chain, Address: addr, Owner: reg.Owner, FromBlock: reg.FromBlock, BackfillPending: true})
		addrs = append(addrs, addr)
	}
	// Sorted, so concurrent batches take their locks in the same order.
	slices.SortFunc(rows, func(a, b Watched) int { return strings.Compare(a.Address, b.Address) })
	if err := s.db.WithContext(ctx).Clauses(clause.Insert{Modifier: "IGNORE"}).Create(&rows).Error; err != nil {
		return nil, fmt.Errorf("add %d watched addresses: %w", len(rows), err)
	}
	var existing []Watched
	if err := s.rows(ctx).Select("address", "owner").Where("address IN ?", addrs).Find(&existing).Error; err != nil {
		return nil, fmt.Errorf("read %d watched addresses: %w", len(addrs), err)
	}
	recorded := make(map[string]string, len(existing))
	for _, w := range existing {
		recorded[w.Address] = w.Owner
	}
	return recorded, nil
}

// NewBackfills returns addresses added since the scanner last looked: their
// backfill is pending and its range not set yet.
func (s *Store) NewBackfills(ctx context.Context, limit int) ([]Watched, error) {
	var rows []Watched
	err := s.rows(ctx).Where("backfill_pending = 1 AND backfill_to IS NULL").Order("id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load new backfills: %w", err)
	}
	return rows, nil
}

// OpenBackfills returns the addresses whose backfill has a range still to
// look through, the lowest next block first.
func (s *Store) OpenBackfills(ctx context.Context, limit int) ([]Watched, error) {
	var rows []Watched
	err := s.rows(ctx).Where("backfill_pending = 1 AND backfill_to IS NOT NULL").
		Order("backfill_next, id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load open backfills: %w", err)
	}
	return rows, nil
}

// BackfillWaiting counts the addresses whose backfill is pending and tells
// how long, by the database's clock, the oldest of them has waited.
func (s *Store) BackfillWaiting(ctx context.Context) (int64, time.Duration, error) {
	var row struct {
		N      int64
		Micros int64
	}
	err := s.db.WithContext(ctx).Raw(`SELECT COUNT(*) AS n,
		COALESCE(TIMESTAMPDIFF(MICROSECOND, MIN(created_at), NOW(6)), 0) AS micros
		FROM watched WHERE chain = ? AND backfill_pending = 1`, s.chain).Scan(&row).Error
	if err != nil {
		return 0, 0, fmt.Errorf("count waiting backfills: %w", err)
	}
	return row.N, time.Duration(row.Micros) * time.Microsecond, nil
}

// SetBackfill records that the addresses ids have the blocks next..to still
// to look through.
func (t Tx) SetBackfill(ids []uint64, next, to uint64) error {
	if len(ids) == 0 {
		return nil
	}
	err := t.tx.Model(&Watched{}).Where("id IN ?", ids).
		Updates(map[string]any{"backfill_next": next, "backfill_to": to}).Error
	if err != nil {
		return fmt.Errorf("set the backfill of %d addresses to %d..%d: %w", len(ids), next, to, err)
	}
	return nil
}

// ClearBackfill marks watched addresses as backfilled.
func (t Tx) ClearBackfill(ids []uint64) error {
	if len(ids) == 0 {
		return nil
	}
	err := t.tx.Model(&Watched{}).Where("id IN ?", ids).
		Updates(map[string]any{"backfill_pending": false, "backfill_next": nil, "backfill_to": nil}).Error
	if err != nil {
		return fmt.Errorf("clear the backfill of %d addresses: %w", len(ids), err)
	}
	return nil
}
