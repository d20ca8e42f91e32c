package txsender

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// errSkip abandons a transition: another replica moved the send first.
var errSkip = errors.New("send changed concurrently")

// transition applies fn to the current row of send under a row lock, then saves
// it with a new version: transitionAll of one.
func (s *Sender) transition(ctx context.Context, send *Send, fn func(tx *gorm.DB, cur *Send) error) error {
	return s.transitionAll(ctx, []*Send{send}, []func(*gorm.DB, *Send) error{fn})[0]
}

// transitionAll applies fns[i] to the current row of sends[i] under a row
// lock and saves it with a new version, all in one database transaction. A
// send another replica holds or changed since it was read is skipped (its
// error is errSkip), as is one whose fn returns errSkip (before writing
// anything). When the transaction fails as a whole, each send is tried again
// in a transaction of its own, so that one failing hook does not hold back
// the others. It returns the outcome of each send; a saved send is updated in
// place.
func (s *Sender) transitionAll(ctx context.Context, sends []*Send, fns []func(*gorm.DB, *Send) error) []error {
	errs := make([]error, len(sends))
	if len(sends) == 0 {
		return errs
	}
	ids := make([]uint64, len(sends))
	for i, send := range sends {
		ids[i] = send.ID
	}
	saved := make([]*Send, len(sends))
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []Send
		err := tx.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"}).Where("id IN ?", ids).Find(&rows).Error
		if err != nil {
			return fmt.Errorf("lock %d sends: %w", len(ids), err)
		}
		cur := make(map[uint64]*Send, len(rows))
		for i := range rows {
			cur[rows[i].ID] = &rows[i]
		}
		for i, send := range sends {
			c := cur[send.ID]
			if c == nil || c.Version != send.Version {
				errs[i] = errSkip
				continue
			}
			if err := fns[i](tx, c); errors.Is(err, errSkip) {
				errs[i] = errSkip
				continue
			} else if err != nil {
				return err
			}
			c.Version++
			if err := tx.Save(c).Error; err != nil {
				return fmt.Errorf("save send %s: %w", send.Key, err)
			}
			saved[i] = c
		}
		return nil
	}, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		if len(sends) == 1 {
			errs[0] = err
			return errs
		}
		for i, send := range sends {
			errs[i] = s.transition(ctx, send, fns[i])
		}
		return errs
	}
	wake := false
	for i, send := range sends {
		if saved[i] == nil {
			continue
		}
		wake = wake || (send.BroadcastAt == nil && saved[i].BroadcastAt != nil) || saved[i].Final()
		*send = *saved[i]
	}
	if wake {
		s.hooks.Committed()
	}
	return errs
}
