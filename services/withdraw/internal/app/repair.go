package app

import (
	"context"
	"crypto/ecdsa"
	"io"

	"github.com/ethereum/go-ethereum/common"
	"github.com/rs/zerolog"

	"paysuite/pkg/db"
	"paysuite/pkg/ethnode"
	"paysuite/pkg/keystore"
	"paysuite/pkg/txsender"
	"paysuite/services/withdraw/internal/config"
	"paysuite/services/withdraw/internal/store"
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

// repairNonces runs the sender's nonce repair for the hot wallet beside the
// running service: it works in the service's schema under the same locks as
// the service's replicas, whose trackers then send what it signed.
func repairNonces(ctx context.Context, cfg config.Config, apply bool, out io.Writer, log zerolog.Logger) error {
	key, err := cfg.HotKey()
	if err != nil {
		return err
	}
	hot := keystore.Address(key)
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
	keys := func(_ context.Context, from common.Address) (*ecdsa.PrivateKey, error) {
		if from == hot {
			return key, nil
		}
		return nil, nil
	}
	repairer, err := txsender.NewRepairer(ctx, gdb, node, keys, cfg.Sender, log)
	if err != nil {
		return err
	}
	return repairer.WriteRepairs(ctx, out, apply)
}
