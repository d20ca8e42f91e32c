package e2e

import (
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"

	"paysuite/pkg/config/onchain"
	"paysuite/pkg/devchain"
	"paysuite/pkg/erc20"
	"paysuite/pkg/ethtx"
	"paysuite/pkg/hdwallet"
	"paysuite/pkg/money"
)

// ChainOn is one chain of a suite that serves several: its node, a client,
// and what its test USDT looks like there.
type ChainOn struct {
	s        *Suite
	Name     string
	ID       uint64
	Node     Node
	Eth      *ethclient.Client
	Decimals int32
	// nonces are the development accounts' next nonces on the chain: quick
	// sends from one account get consecutive ones.
	nonces *ethtx.Nonces
}

// NewSuiteTwoChains starts both development chains, ETH and BSC (chain id
// 1338, whose USDT has 18 decimals), and a suite whose services serve both.
func NewSuiteTwoChains(t testing.TB) (*Suite, *ChainOn) {
	t.Helper()
	s := NewSuite(t)
	bsc := s.AddChain("BSC", startChain(t, devchain.Config{ChainID: devchain.BSCChainID}), devchain.BSCChainID)
	return s, bsc
}

// AddChain makes the suite's services serve chain name too, through node,
// whose chain id is id.
func (s *Suite) AddChain(name string, node Node, id uint64) *ChainOn {
	s.t.Helper()
	eth, err := ethclient.Dial(node.HTTPURL())
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(eth.Close)
	c := &ChainOn{s: s, Name: name, ID: id, Node: node, Eth: eth, Decimals: int32(devchain.TokenDecimals(id)), nonces: &ethtx.Nonces{}}
	s.more = append(s.more, c)
	return c
}

// On returns the suite's chain called name (ETH is the suite's own Chain).
func (s *Suite) On(name string) *ChainOn {
	s.t.Helper()
	if name == "ETH" {
		return &ChainOn{s: s, Name: "ETH", ID: devchain.ChainID, Node: s.Chain, Eth: s.Eth, Decimals: int32(devchain.TokenDecimals(devchain.ChainID)), nonces: &s.nonces}
	}
	for _, c := range s.more {
		if c.Name == name {
			return c
		}
	}
	s.t.Fatalf("the suite serves no chain %s", name)
	return nil
}

// chainEnv is the services' chain settings: the one chain of ETH_RPC_URL and
// its neighbours, or, once the suite serves more, the chain list.
func (s *Suite) chainEnv() []string {
	if len(s.more) == 0 {
		return []string{"ETH_RPC_URL=" + s.Chain.HTTPURL(), "ETH_WS_URL=" + s.Chain.WSURL(), fmt.Sprintf("CONFIRMATIONS=%d", confirmations)}
	}
	names := []string{"ETH"}
	env := chainVars("ETH", devchain.ChainID, s.Chain)
	for _, c := range s.more {
		names = append(names, c.Name)
		env = append(env, chainVars(c.Name, c.ID, c.Node)...)
	}
	return append(env, "CHAINS="+strings.Join(names, ","))
}

func chainVars(name string, id uint64, node Node) []string {
	p := onchain.Prefix(name)
	return []string{
		fmt.Sprintf("%sCHAIN_ID=%d", p, id),
		p + "RPC_URL=" + node.HTTPURL(),
		p + "WS_URL=" + node.WSURL(),
		fmt.Sprintf("%sCONFIRMATIONS=%d", p, confirmations),
	}
}

// Units is amount (a decimal string) in base units of the chain's USDT.
func (c *ChainOn) Units(amount string) *big.Int {
	d, err := money.Parse(amount, c.Decimals)
	if err != nil {
		panic(err)
	}
	return money.ToBaseUnits(d, c.Decimals)
}

// SendUSDT transfers amount of the chain's test USDT from development account
// from to to.
func (c *ChainOn) SendUSDT(from int, to string, amount string) common.Hash {
	t := c.s.t
	t.Helper()
	tx, err := ethtx.TransferTokenWith(t.Context(), c.Eth, c.nonces, c.devKey(from), c.s.token, common.HexToAddress(to), c.Units(amount))
	if err != nil {
		t.Fatalf("send %s USDT on %s to %s: %v", amount, c.Name, to, err)
	}
	return tx.Hash()
}

// SendUSDTBatch sends amounts[i] to to[i] on the chain, all in one
// transaction (transferBatch).
func (c *ChainOn) SendUSDTBatch(from int, to []string, amounts []string) common.Hash {
	t := c.s.t
	t.Helper()
	recipients := make([]common.Address, len(to))
	values := make([]*big.Int, len(to))
	for i := range to {
		recipients[i] = common.HexToAddress(to[i])
		values[i] = c.Units(amounts[i])
	}
	tx, err := ethtx.SendWith(t.Context(), c.Eth, c.nonces, c.devKey(from), c.s.token, erc20.NewTestUSDT().PackTransferBatch(recipients, values), nil)
	if err != nil {
		t.Fatalf("batch transfer on %s: %v", c.Name, err)
	}
	return tx.Hash()
}

// devKey is development account i's key.
func (c *ChainOn) devKey(i int) *ecdsa.PrivateKey {
	c.s.t.Helper()
	key, _, err := hdwallet.DevAccount(i)
	if err != nil {
		c.s.t.Fatal(err)
	}
	return key
}

// Mine mines n blocks on the chain.
func (c *ChainOn) Mine(n int) {
	c.s.t.Helper()
	if err := c.Node.Mine(n); err != nil {
		c.s.t.Fatal(err)
	}
}

// Reorg replaces the chain's last depth blocks with empty ones.
func (c *ChainOn) Reorg(depth int) {
	c.s.t.Helper()
	if err := c.Node.Reorg(depth); err != nil {
		c.s.t.Fatal(err)
	}
}

// Head is the chain's newest block number.
func (c *ChainOn) Head() uint64 {
	n, err := c.Eth.BlockNumber(c.s.t.Context())
	if err != nil {
		c.s.t.Fatal(err)
	}
	return n
}
