package app

import (
	"gorm.io/gorm"

	"paysuite/pkg/payoutapp"
	"paysuite/pkg/txsender"
	"paysuite/services/pay/internal/config"
	"paysuite/services/pay/internal/store"
	"paysuite/services/pay/internal/wallets"
)

// Operator is pay's operator commands: its pending payments, the nonce
// repair of pay's addresses, the hot wallet and the deposit addresses it pays
// from, and the sweeps of the deposit addresses.
func Operator(cfg config.Config) payoutapp.Operator {
	return payoutapp.Operator{Name: "pay", Noun: "payments", PendingQuery: pendingQuery, Done: store.StateDone,
		RepairFor: "for every address whose signing is stopped", Service: &cfg.Service, Migrations: store.Migrations(), Signer: signer(cfg),
		Commands: []payoutapp.Command{sweepsCommand(cfg.List), reconcileCommand(cfg)}}
}

// signer reads pay's hot wallet key and deposit seed, and derives the keys
// of the deposit addresses recorded in the schema.
func signer(cfg config.Config) func() (func(gdb *gorm.DB) txsender.Keys, error) {
	return func() (func(gdb *gorm.DB) txsender.Keys, error) {
		hotKey, err := cfg.HotKey()
		if err != nil {
			return nil, err
		}
		mnemonic, err := cfg.Seed()
		if err != nil {
			return nil, err
		}
		return func(gdb *gorm.DB) txsender.Keys {
			return wallets.New(hotKey, mnemonic, cfg.DepositPath, gdb).Key
		}, nil
	}
}

// pendingQuery lists the requests not yet final with their current transaction.
const pendingQuery = `SELECT w.request_id, w.state, s.state AS send_state, s.tx_hash, s.nonce,
	TIMESTAMPDIFF(SECOND, w.created_at, NOW(6)) AS age_sec
	FROM payments w LEFT JOIN tx_sends s ON s.send_key = COALESCE(w.send_key, w.fund_key)
	WHERE w.state <> ? ORDER BY w.created_at, w.request_id`
