package db

import (
	"errors"
	"fmt"
	"math/big"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// FirstOrNil returns the first row of T that q finds (q is narrowed by the
// caller: Where, Clauses for locking...), or nil when there is none: a missing
// row is an answer, not an error.
func FirstOrNil[T any](q *gorm.DB) (*T, error) {
	var row T
	err := q.First(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &row, nil
}

// FindOrNil is FirstOrNil of the rows of T that match where and args, locked
// for update when lock is set.
func FindOrNil[T any](tx *gorm.DB, lock bool, where string, args ...any) (*T, error) {
	if lock {
		tx = tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return FirstOrNil[T](tx.Where(where, args...))
}

// SumUnits runs query, which selects one sum of whole units (a DECIMAL(65,0)
// cast to text so that no digit is lost), and returns it.
func SumUnits(tx *gorm.DB, query string, args ...any) (*big.Int, error) {
	var sum string
	if err := tx.Raw(query, args...).Scan(&sum).Error; err != nil {
		return nil, err
	}
	v, ok := new(big.Int).SetString(sum, 10)
	if !ok {
		return nil, fmt.Errorf("bad sum %q", sum)
	}
	return v, nil
}
