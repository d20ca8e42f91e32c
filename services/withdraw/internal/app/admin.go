package app

import (
	"context"
	"errors"
	"io"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/db"
	"paysuite/pkg/pendinglist"
	"paysuite/services/withdraw/internal/config"
	"paysuite/services/withdraw/internal/store"
)

// ErrUsage means the operator command line was not understood.
var ErrUsage = errors.New("usage")

// Usage describes the operator commands.
const Usage = `Usage:
  withdraw                 run the service
  withdraw pending         list the withdrawals without a final answer yet:
                           request id, state, transaction state, hash, nonce and age
  withdraw repair-nonces [--apply]
                           for the hot wallet when its signing is stopped (its nonces
                           and the chain's disagree): say what was found and what the
                           repair does; with --apply do it and resume signing
`

// Admin runs an operator command against the service's schema.
func Admin(ctx context.Context, cfg config.Config, args []string, out io.Writer, log zerolog.Logger) error {
	switch {
	case len(args) == 1 && args[0] == "pending":
	case len(args) >= 1 && args[0] == "repair-nonces":
		apply, err := repairArgs(args[1:])
		if err != nil {
			return err
		}
		return repairNonces(ctx, cfg, apply, out, log)
	default:
		return ErrUsage
	}
	gdb, err := db.Open(ctx, cfg.DB, store.Migrations(), log)
	if err != nil {
		return err
	}
	defer func() {
		if sqlDB, err := gdb.DB(); err == nil {
			_ = sqlDB.Close()
		}
	}()
	return printPending(ctx, gdb, out)
}

// pendingQuery lists the requests not yet final with their current transaction.
const pendingQuery = `SELECT w.request_id, w.state, s.state AS send_state, s.tx_hash, s.nonce,
	TIMESTAMPDIFF(SECOND, w.created_at, NOW(6)) AS age_sec
	FROM withdrawals w LEFT JOIN tx_sends s ON s.send_key = w.send_key
	WHERE w.state <> ? ORDER BY w.created_at, w.request_id`

func printPending(ctx context.Context, gdb *gorm.DB, out io.Writer) error {
	return pendinglist.Print(ctx, gdb, out, pendingQuery, "withdrawals", store.StateDone)
}
