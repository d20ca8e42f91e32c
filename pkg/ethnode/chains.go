package ethnode

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/rpc"
	"github.com/rs/zerolog"

	"paysuite/pkg/config/onchain"
)

// Nodes are the connections to the nodes of a list of chains, in the list's
// order.
type Nodes []*rpc.Client

// DialChains connects to the node of every chain of list, in order, each
// accepted once checkDev (the development mode's rule) and the chain's own
// CheckNode accept its chain id. On a failure the nodes already dialled are
// closed.
func DialChains(ctx context.Context, list []onchain.Chain, checkDev func(uint64) error, log zerolog.Logger) (Nodes, error) {
	nodes := make(Nodes, 0, len(list))
	for _, ch := range list {
		node, err := Dial(ctx, ch.RPCURL, func(id uint64) error {
			if err := checkDev(id); err != nil {
				return err
			}
			return ch.CheckNode(id)
		}, log.With().Str("chain", ch.Name).Logger())
		if err != nil {
			nodes.Close()
			return nil, fmt.Errorf("chain %s: %w", ch.Name, err)
		}
		nodes = append(nodes, node)
	}
	return nodes, nil
}

// Close closes every connection.
func (n Nodes) Close() {
	for _, c := range n {
		c.Close()
	}
}
