// Package expiry closes the orders whose expiry passed without timely full
// payment and reports them expired. The decision is taken on the database clock
// and the orders are claimed with SKIP LOCKED, so any number of replicas can run
// it and a restart loses nothing.
package expiry

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/money"
	"paysuite/pkg/outbox"
	"paysuite/pkg/sign"
	"paysuite/services/matcher/internal/matching"
	"paysuite/services/matcher/internal/returns"
	"paysuite/services/matcher/internal/store"
)

// Expirer runs the expiry loop.
type Expirer struct {
	Store  *store.Store
	Names  contract.Names
	Sealer sign.Sealer
	// Internal seals the webhooks of returns for the notifier.
	Internal events.Keys
	Log      zerolog.Logger
	Interval time.Duration
	Batch    int
	// OnCommit wakes the outbox relay.
	OnCommit func()
}

// Run expires due orders every Interval until ctx is cancelled.
func (e *Expirer) Run(ctx context.Context) error {
	ticker := time.NewTicker(e.Interval)
	defer ticker.Stop()
	for {
		for {
			n, err := e.ExpireDue(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				e.Log.Warn().Err(err).Msg("expire orders")
				break
			}
			if n < e.Batch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// ExpireDue expires one batch of due orders and returns how many it claimed.
func (e *Expirer) ExpireDue(ctx context.Context) (int, error) {
	var claimed int
	var expired []string
	err := e.Store.DB().WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		claimed, expired = 0, expired[:0]
		orders, err := store.ClaimExpired(tx, e.Batch)
		if err != nil {
			return err
		}
		claimed = len(orders)
		var msgs []outbox.Message
		for i := range orders {
			o := &orders[i]
			payments, err := store.OrderPayments(tx, o.ID)
			if err != nil {
				return err
			}
			paid := matching.TimelySum(payments, false)
			if paid.Cmp(matching.Amount(o.PayAmount, o.Decimals)) >= 0 {
				// Covered after all (the flag lagged): it waits for confirmation.
				if err := store.UpdateOrder(tx, o.ID, store.StateOpen, true); err != nil {
					return err
				}
				continue
			}
			body, err := e.Sealer.Seal(returns.Expired{
				RequestID: o.RequestID, Event: contract.EventExpired, Status: contract.StatusFailed,
				Error: contract.ErrExpired, Message: "the order expired without full payment",
				OrderID: o.OrderID, Chain: o.Chain, Chains: o.Chains, Symbol: o.Symbol,
				Amount: matching.FormatBase(o.Amount, o.Decimals), PayAddress: o.PayAddress,
				PayAmount: matching.FormatBase(o.PayAmount, o.Decimals), PaidAmount: money.Format(paid),
			})
			if err != nil {
				return err
			}
			if err := store.UpdateOrder(tx, o.ID, store.StateExpired, false); err != nil {
				return err
			}
			ret, err := events.Return{RequestID: o.RequestID, CallbackURL: o.CallbackURL,
				MessageID: o.RequestID + ":expired", Body: body}.Messages(e.Internal, e.Names.Exchange, e.Names.Order())
			if err != nil {
				return err
			}
			msgs = append(msgs, ret...)
			expired = append(expired, o.RequestID)
		}
		return outbox.Add(tx, msgs...)
	})
	if err != nil {
		return 0, fmt.Errorf("expire orders: %w", err)
	}
	for _, id := range expired {
		e.Log.Info().Str("request_id", id).Msg("order expired")
	}
	if len(expired) > 0 && e.OnCommit != nil {
		e.OnCommit()
	}
	return claimed, nil
}
