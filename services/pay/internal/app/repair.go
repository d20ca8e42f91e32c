package app

import (
	"context"
	"io"

	"github.com/rs/zerolog"

	"paysuite/pkg/db"
	"paysuite/pkg/ethnode"
	"paysuite/pkg/txsender"
	"paysuite/services/pay/internal/config"
	"paysuite/services/pay/internal/store"
	"paysuite/services/pay/internal/wallets"
)

// repairArgs reads repair-nonces' arguments: nothing, or --apply.
func repairArgs(args []string) (apply bool, err error) {
	switch {
	case len(args) == 0:
		return false, nil
	case len(args) == 1 && (args[0] == "--apply" || args[0] == "-apply"):
		return true, nil
	default:
		return false, ErrUsage
	}
}

// repairNonces runs the sender's nonce repair for pay's addresses (the hot
// wallet and the deposit addresses it pays from) beside the running service:
// it works in the service's schema under the same locks as the service's
// replicas, whose trackers then send what it signed.
func repairNonces(ctx context.Context, cfg config.Config, apply bool, out io.Writer, log zerolog.Logger) error {
	hotKey, err := cfg.HotKey()
	if err != nil {
		return err
	}
	mnemonic, err := cfg.Seed()
	if err != nil {
		return err
	}
	rpcClient, err := ethnode.Dial(ctx, cfg.RPCURL, cfg.CheckDevChain, log)
	if err != nil {
		return err
	}
	node := txsender.NewRPCNode(rpcClient)
	defer node.Close()
	gdb, err := db.Open(ctx, cfg.DB, store.Migrations(), log)
	if err != nil {
		return err
	}
	defer func() {
		if sqlDB, err := gdb.DB(); err == nil {
			_ = sqlDB.Close()
		}
	}()
	w := wallets.New(hotKey, mnemonic, cfg.DepositPath, gdb, cfg.Chain)
	repairer, err := txsender.NewRepairer(ctx, gdb, node, w.Key, cfg.Sender, log)
	if err != nil {
		return err
	}
	return repairer.WriteRepairs(ctx, out, apply)
}
