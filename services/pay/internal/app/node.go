package app

import (
	"context"
	"fmt"

	"paysuite/pkg/txsender"
	"paysuite/services/pay/internal/config"
)

// dialNode connects to the node and learns its chain id before anything else
// is opened: the development mode, whose keys and secrets are public, is
// refused on any chain but a development one, before a schema is created, a
// queue declared or a development account asked to fund anything.
func dialNode(ctx context.Context, cfg config.Config) (*txsender.RPCNode, error) {
	node, err := txsender.Dial(ctx, cfg.RPCURL)
	if err != nil {
		return nil, err
	}
	id, err := node.ChainID(ctx)
	if err != nil {
		node.Close()
		return nil, fmt.Errorf("chain id of the node: %w", err)
	}
	if err := cfg.CheckDevChain(id.Uint64()); err != nil {
		node.Close()
		return nil, err
	}
	return node, nil
}
