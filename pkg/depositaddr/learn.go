package depositaddr

import (
	"context"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/events"
)

// Learn records the deposit addresses on any of chains that the
// announcement d carries, all or none; row makes the row of each one on its
// chain (and may refuse it). Addresses only given to topup to watch belong to
// business systems, not to the suite, and are not recorded. An unreadable
// announcement is poison.
func Learn[T any](ctx context.Context, db *gorm.DB, d broker.Delivery, chains []string, log zerolog.Logger,
	row func(chain string, e events.ListedAddress) (T, error)) error {
	a, err := events.ReadAnnouncement(d.Body)
	if err != nil {
		return broker.Poison(err.Error())
	}
	var rows []T
	for _, chain := range chains {
		for _, e := range a.DepositAddresses(chain) {
			r, err := row(chain, e)
			if err != nil {
				return err
			}
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	if err := Record(ctx, db, rows); err != nil {
		return err
	}
	log.Debug().Int("addresses", len(rows)).Msg("deposit addresses known")
	return nil
}
