package app

import (
	"context"

	"gorm.io/gorm"

	"paysuite/pkg/txsender"
	"paysuite/services/pay/internal/payouts"
	"paysuite/services/pay/internal/regas"
	"paysuite/services/pay/internal/sweeps"
)

// hooks are a chain sender's hooks: each send goes to the part that made it
// (a payment's to the engine, a sweep's to the sweeper); the gas fundings of
// refused sends need nothing when final.
type hooks struct {
	payments *payouts.Engine
	sweeps   *sweeps.Sweeper
}

var _ txsender.Hooks = hooks{}

func (h hooks) Broadcast(ctx context.Context, tx *gorm.DB, s *txsender.Send) error {
	if sweeps.Owns(s.Purpose) || s.Purpose == regas.Purpose {
		return nil
	}
	return h.payments.Broadcast(ctx, tx, s)
}

func (h hooks) Final(ctx context.Context, tx *gorm.DB, s *txsender.Send) error {
	switch {
	case sweeps.Owns(s.Purpose):
		return h.sweeps.Final(ctx, tx, s)
	case s.Purpose == regas.Purpose:
		return nil
	}
	return h.payments.Final(ctx, tx, s)
}

func (h hooks) Committed() { h.payments.Committed() }
