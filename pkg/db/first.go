package db

import (
	"errors"

	"gorm.io/gorm"
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
