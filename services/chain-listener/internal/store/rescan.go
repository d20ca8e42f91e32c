package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Rescan is an operator's request to look for missed transfers again in a
// block range. NextBlock is where the scanner resumes, so a rescan interrupted
// by a restart or a change of leader is not started over.
type Rescan struct {
	ID        uint64     `gorm:"column:id;primaryKey"`
	Chain     string     `gorm:"column:chain"`
	FromBlock uint64     `gorm:"column:from_block"`
	ToBlock   uint64     `gorm:"column:to_block"`
	NextBlock uint64     `gorm:"column:next_block"`
	MessageID *string    `gorm:"column:message_id"`
	Found     uint64     `gorm:"column:found"`
	Done      bool       `gorm:"column:done"`
	DoneAt    *time.Time `gorm:"column:done_at"`
}

// TableName maps Rescan to its table.
func (Rescan) TableName() string { return "rescans" }

// AddRescan records a rescan of from..to. A message id already recorded (the
// broker redelivered the request) is not recorded twice.
func (s *Store) AddRescan(ctx context.Context, from, to uint64, messageID string) error {
	r := Rescan{Chain: s.chain, FromBlock: from, ToBlock: to, NextBlock: from}
	if messageID != "" {
		r.MessageID = &messageID
	}
	err := s.db.WithContext(ctx).Clauses(clause.Insert{Modifier: "IGNORE"}).Create(&r).Error
	if err != nil {
		return fmt.Errorf("record rescan %d..%d: %w", from, to, err)
	}
	return nil
}

// PendingRescans returns the rescans not yet done, oldest first.
func (s *Store) PendingRescans(ctx context.Context, limit int) ([]Rescan, error) {
	var rows []Rescan
	if err := s.rows(ctx).Where("done = 0").Order("id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load pending rescans: %w", err)
	}
	return rows, nil
}

// AdvanceRescan records that rescan id has covered the blocks below next and
// found more transfers; done marks it finished.
func (t Tx) AdvanceRescan(id, next, found uint64, done bool) error {
	upd := map[string]any{"next_block": next, "found": gorm.Expr("found + ?", found)}
	if done {
		upd["done"] = true
		upd["done_at"] = time.Now().UTC()
	}
	if err := t.tx.Model(&Rescan{}).Where("id = ?", id).Updates(upd).Error; err != nil {
		return fmt.Errorf("advance rescan %d: %w", id, err)
	}
	return nil
}
