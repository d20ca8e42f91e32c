package app

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"paysuite/pkg/ethnode"
	"paysuite/pkg/witness"
	"paysuite/services/matcher/internal/config"
	"paysuite/services/matcher/internal/requests"
)

// chains are the matcher's connections to the nodes of its chains: the heads
// order addresses are handed out at and the witnesses of payments, per chain.
type chains struct {
	heads     map[string]requests.Head
	witnesses map[string]*witness.Witness
	nodes     ethnode.Nodes
}

// dialChains connects to the node of every configured chain, each checked to
// be the chain it is configured as.
func dialChains(ctx context.Context, cfg config.Config, log zerolog.Logger) (*chains, error) {
	nodes, err := ethnode.DialChains(ctx, cfg.List, cfg.CheckDevChain, log)
	if err != nil {
		return nil, err
	}
	c := &chains{heads: map[string]requests.Head{}, witnesses: witness.ForChains(cfg.List, nodes), nodes: nodes}
	for i, ch := range cfg.List {
		c.heads[ch.Name] = &ethnode.Head{Client: nodes[i], MaxAge: time.Second}
	}
	return c, nil
}

func (c *chains) close() { c.nodes.Close() }
