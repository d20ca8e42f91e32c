package app

import (
	"context"

	"github.com/rs/zerolog"

	"paysuite/pkg/ethnode"
	"paysuite/pkg/witness"
	"paysuite/services/topup/internal/config"
	"paysuite/services/topup/internal/requests"
)

// chains are topup's connections to the nodes of its chains: what requests
// read (tokens, heads) and what deposits are witnessed by, per chain.
type chains struct {
	requests  []requests.Chain
	witnesses map[string]*witness.Witness
	nodes     ethnode.Nodes
}

// dialChains connects to the node of every configured chain, in
// configuration order, each checked to be the chain it is configured as.
func dialChains(ctx context.Context, cfg config.Config, log zerolog.Logger) (*chains, error) {
	nodes, err := ethnode.DialChains(ctx, cfg.List, cfg.CheckDevChain, log)
	if err != nil {
		return nil, err
	}
	c := &chains{witnesses: witness.ForChains(cfg.List, nodes), nodes: nodes}
	for i, ch := range cfg.List {
		c.requests = append(c.requests, requests.Chain{Name: ch.Name, Tokens: ch.Tokens,
			Head: &ethnode.Head{Client: nodes[i], MaxAge: headMaxAge}})
	}
	return c, nil
}

func (c *chains) close() { c.nodes.Close() }
