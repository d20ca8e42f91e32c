package payoutapp

import (
	"context"

	"github.com/rs/zerolog"

	"paysuite/pkg/ethnode"
	"paysuite/pkg/txsender"
)

// DialNode connects to the node the service sends through; check refuses a
// chain the configuration does not allow (the development mode on a real
// chain) before anything else is touched.
func DialNode(ctx context.Context, url string, check func(chainID uint64) error, log zerolog.Logger) (*txsender.RPCNode, error) {
	rpcClient, err := ethnode.Dial(ctx, url, check, log)
	if err != nil {
		return nil, err
	}
	return txsender.NewRPCNode(rpcClient), nil
}
