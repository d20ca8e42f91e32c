package store

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"paysuite/pkg/db"
)

// ErrLegacyChainTaken means the chain to adopt the legacy rows already has a
// cursor of its own.
var ErrLegacyChainTaken = errors.New("the chain already has its own cursor")

// LegacyGenesis returns the genesis hash the cursor of the rows written
// before the listener served several chains names, or "" when there is none.
func (s *Schema) LegacyGenesis(ctx context.Context) (string, error) {
	c, err := db.FirstOrNil[Cursor](s.db.WithContext(ctx).Where("chain = ''"))
	if err != nil {
		return "", fmt.Errorf("load the legacy cursor: %w", err)
	}
	if c == nil {
		return "", nil
	}
	return c.GenesisHash, nil
}

// AdoptLegacy gives the rows written before the listener served several
// chains (chain ”) to the chain called name, in one transaction, and tells
// whether there were any. A row of an address or block the chain already
// has stays under ”. It refuses (ErrLegacyChainTaken) when both the legacy
// rows and the chain have a cursor: two scans cannot be joined.
func (s *Schema) AdoptLegacy(ctx context.Context, name string) (adopted bool, err error) {
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var cursors []Cursor
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("chain IN ?", []string{"", name}).Find(&cursors).Error
		if err != nil {
			return fmt.Errorf("lock the cursors: %w", err)
		}
		if len(cursors) == 2 {
			return ErrLegacyChainTaken
		}
		for _, table := range []string{"cursor_state", "blocks", "watched", "transfers", "rescans"} {
			res := tx.Exec("UPDATE IGNORE "+table+" SET chain = ? WHERE chain = ''", name)
			if res.Error != nil {
				return fmt.Errorf("adopt the legacy rows of %s: %w", table, res.Error)
			}
			adopted = adopted || res.RowsAffected > 0
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("adopt the rows from before several chains for %s: %w", name, err)
	}
	return adopted, nil
}
