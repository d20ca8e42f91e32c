package store

import (
	"context"
	"database/sql"
	"fmt"

	"gorm.io/gorm"
)

// CheckoutOrder is an order as its checkout reads it: the order, the token
// of its payer's page and every payment matched to it.
type CheckoutOrder struct {
	Order
	// Token names the order's checkout page; empty for an order accepted
	// before the checkout existed.
	Token    string    `gorm:"column:checkout_token"`
	Payments []Payment `gorm:"-"`
}

// SetCheckoutToken stores the checkout token of order id inside tx; a token
// already taken fails with a duplicate-key error (ConflictOther).
func SetCheckoutToken(tx *gorm.DB, id uint64, token string) error {
	if err := tx.Exec("UPDATE orders SET checkout_token = ? WHERE id = ?", token, id).Error; err != nil {
		return fmt.Errorf("store checkout token of order %d: %w", id, err)
	}
	return nil
}

// CheckoutByToken finds the order whose checkout token is token, with its
// payments, or nil.
func (s *Store) CheckoutByToken(ctx context.Context, token string) (*CheckoutOrder, error) {
	if token == "" {
		return nil, nil
	}
	return s.checkout(ctx, "o.checkout_token = ?", token)
}

// CheckoutByRequestID finds the order of requestID, with its checkout token
// and payments, or nil.
func (s *Store) CheckoutByRequestID(ctx context.Context, requestID string) (*CheckoutOrder, error) {
	return s.checkout(ctx, "o.request_id = ?", requestID)
}

// checkout reads one order by where and its payments in one read-only
// transaction, so that the two agree: a view may lag a commit by one read,
// never show half of one.
func (s *Store) checkout(ctx context.Context, where string, arg string) (*CheckoutOrder, error) {
	var found *CheckoutOrder
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []CheckoutOrder
		err := tx.Raw("SELECT "+orderColumns+", COALESCE(o.checkout_token, '') AS checkout_token FROM orders o WHERE "+where, arg).
			Scan(&rows).Error
		if err != nil {
			return fmt.Errorf("find checkout order: %w", err)
		}
		if len(rows) == 0 {
			return nil
		}
		found = &rows[0]
		err = tx.Raw("SELECT "+paymentColumns+" FROM payments WHERE order_pk = ? ORDER BY created_at, transfer_id", found.ID).
			Scan(&found.Payments).Error
		if err != nil {
			return fmt.Errorf("load payments of order %d: %w", found.ID, err)
		}
		return nil
	}, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	return found, nil
}
