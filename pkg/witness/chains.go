package witness

import (
	"paysuite/pkg/config/onchain"
	"paysuite/pkg/ethnode"
)

// ForChains returns a witness of every chain of list, by chain name, each
// asking that chain's node of nodes (ethnode.DialChains, in list order).
func ForChains(list []onchain.Chain, nodes ethnode.Nodes) map[string]*Witness {
	out := make(map[string]*Witness, len(list))
	for i, ch := range list {
		out[ch.Name] = &Witness{Node: nodes[i], Chain: ch.Name, Tokens: ch.Tokens, Confirmations: ch.Confirmations}
	}
	return out
}
