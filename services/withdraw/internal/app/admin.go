package app

import (
	"paysuite/pkg/payoutapp"
	"paysuite/services/withdraw/internal/config"
	"paysuite/services/withdraw/internal/store"
)

// Operator is withdraw's operator commands: its pending withdrawals, and the
// nonce repair of the hot wallet, the one address withdraw signs for.
func Operator(cfg config.Config) payoutapp.Operator {
	return payoutapp.Operator{Name: "withdraw", Noun: "withdrawals", PendingQuery: pendingQuery, Done: store.StateDone,
		RepairFor: "for the hot wallet when its signing is stopped", Service: &cfg.Service, Migrations: store.Migrations(), Signer: payoutapp.HotOnly(cfg.HotKey)}
}

// pendingQuery lists the requests not yet final with their current transaction.
const pendingQuery = `SELECT w.request_id, w.state, s.state AS send_state, s.tx_hash, s.nonce,
	TIMESTAMPDIFF(SECOND, w.created_at, NOW(6)) AS age_sec
	FROM withdrawals w LEFT JOIN tx_sends s ON s.send_key = w.send_key
	WHERE w.state <> ? ORDER BY w.created_at, w.request_id`
