package store

import (
	"fmt"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"paysuite/pkg/events"
)

// Credit is one deposit the chain-listener reported, at its latest stage.
type Credit struct {
	Chain       string `gorm:"column:chain;primaryKey"`
	TxHash      string `gorm:"column:tx_hash;primaryKey"`
	LogIndex    uint   `gorm:"column:log_index;primaryKey"`
	Address     string `gorm:"column:address"`
	Token       string `gorm:"column:token"`
	AmountUnits string `gorm:"column:amount_units"`
	BlockNumber uint64 `gorm:"column:block_number"`
	Kind        string `gorm:"column:kind"`
	Sequence    uint64 `gorm:"column:sequence"`
}

// TableName maps Credit to its table.
func (Credit) TableName() string { return "credits" }

// RecordCredit stores a confirmed or removed transfer event, unless a later
// event of the same transfer is stored already.
func RecordCredit(tx *gorm.DB, ev events.Transfer) error {
	row := Credit{Chain: ev.Chain, TxHash: strings.ToLower(ev.TxHash), LogIndex: ev.LogIndex, Address: strings.ToLower(ev.To),
		Token: strings.ToLower(ev.Token), AmountUnits: ev.Amount, BlockNumber: ev.BlockNumber, Kind: ev.Kind, Sequence: ev.Sequence}
	// MySQL assigns in order: sequence last, once the others compared it.
	var update []clause.Assignment
	for _, col := range []string{"address", "token", "amount_units", "block_number", "kind"} {
		update = append(update, clause.Assignment{Column: clause.Column{Name: col},
			Value: gorm.Expr("IF(VALUES(sequence) > sequence, VALUES(" + col + "), " + col + ")")})
	}
	update = append(update, clause.Assignment{Column: clause.Column{Name: "sequence"}, Value: gorm.Expr("GREATEST(sequence, VALUES(sequence))")})
	err := tx.Clauses(clause.OnConflict{DoUpdates: update}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("record credit %s:%d: %w", ev.TxHash, ev.LogIndex, err)
	}
	return nil
}
