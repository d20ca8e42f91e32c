package store

import (
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Tx wraps one scanner transaction on the rows of one chain.
type Tx struct {
	tx    *gorm.DB
	chain string
}

// Gorm returns the underlying transaction (for the outbox).
func (t Tx) Gorm() *gorm.DB { return t.tx }

// SetCursor moves the cursor.
func (t Tx) SetCursor(c Cursor) error {
	c.Chain = t.chain
	err := t.tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&c).Error
	if err != nil {
		return fmt.Errorf("set cursor to %d: %w", c.BlockNumber, err)
	}
	return nil
}

// SaveBlocks records processed blocks, replacing any kept at the same heights.
func (t Tx) SaveBlocks(blocks []Block) error {
	if len(blocks) == 0 {
		return nil
	}
	for i := range blocks {
		blocks[i].Chain = t.chain
	}
	err := t.tx.Clauses(clause.OnConflict{UpdateAll: true}).CreateInBatches(blocks, 500).Error
	if err != nil {
		return fmt.Errorf("save %d blocks: %w", len(blocks), err)
	}
	return nil
}

// DeleteBlocksAbove drops kept blocks above number (they left the canonical chain).
func (t Tx) DeleteBlocksAbove(number uint64) error {
	return t.tx.Where("chain = ? AND number > ?", t.chain, number).Delete(&Block{}).Error
}

// PruneBlocksBelow drops kept blocks below number, which no reorg can reach.
func (t Tx) PruneBlocksBelow(number uint64) error {
	return t.tx.Where("chain = ? AND number < ?", t.chain, number).Delete(&Block{}).Error
}

// TransfersByID loads the transfers among ids, locked for update.
func (t Tx) TransfersByID(ids []string) (map[string]*Transfer, error) {
	out := make(map[string]*Transfer, len(ids))
	for start := 0; start < len(ids); start += 1000 {
		end := min(start+1000, len(ids))
		var rows []Transfer
		err := t.tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id IN ?", ids[start:end]).Find(&rows).Error
		if err != nil {
			return nil, fmt.Errorf("load transfers: %w", err)
		}
		for i := range rows {
			out[rows[i].ID] = &rows[i]
		}
	}
	return out, nil
}

// InsertTransfers stores new transfers.
func (t Tx) InsertTransfers(rows []*Transfer) error {
	if len(rows) == 0 {
		return nil
	}
	for _, r := range rows {
		r.Chain = t.chain
	}
	if err := t.tx.CreateInBatches(rows, 500).Error; err != nil {
		return fmt.Errorf("insert %d transfers: %w", len(rows), err)
	}
	return nil
}

// SaveTransfer updates one transfer.
func (t Tx) SaveTransfer(row *Transfer) error {
	row.Chain = t.chain
	if err := t.tx.Save(row).Error; err != nil {
		return fmt.Errorf("save transfer %s: %w", row.ID, err)
	}
	return nil
}

// TransfersWithStatus returns transfers in status within the block range, locked.
func (t Tx) TransfersWithStatus(status string, minBlock, maxBlock uint64) ([]Transfer, error) {
	var rows []Transfer
	err := t.tx.Clauses(clause.Locking{Strength: "UPDATE"}).
		Where("chain = ? AND status = ? AND block_number BETWEEN ? AND ?", t.chain, status, minBlock, maxBlock).
		Order("block_number, id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load %s transfers: %w", status, err)
	}
	return rows, nil
}

// SetStatus moves the given transfers to status and bumps their sequence.
func (t Tx) SetStatus(ids []string, status string) error {
	for start := 0; start < len(ids); start += 1000 {
		end := min(start+1000, len(ids))
		err := t.tx.Model(&Transfer{}).Where("id IN ?", ids[start:end]).
			Updates(map[string]any{"status": status, "seq": gorm.Expr("seq + 1")}).Error
		if err != nil {
			return fmt.Errorf("set %d transfers %s: %w", end-start, status, err)
		}
	}
	return nil
}
