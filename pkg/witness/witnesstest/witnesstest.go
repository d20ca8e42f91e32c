// Package witnesstest runs the development chain for tests of what the
// witness confirms: it makes real token transfers and the transfer events the
// chain-listener reports for them.
package witnesstest

import (
	"crypto/ecdsa"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"

	"paysuite/pkg/devchain"
	"paysuite/pkg/devchain/devchaintest"
	"paysuite/pkg/erc20"
	"paysuite/pkg/ethtx"
	"paysuite/pkg/events"
	"paysuite/pkg/hdwallet"
	"paysuite/pkg/tokens"
	"paysuite/pkg/witness"
)

// Chain is a development chain mining on demand, and a payer holding its
// test USDT (development account 1).
type Chain struct {
	t   testing.TB
	Dev *devchain.Chain
	RPC *rpc.Client
	Eth *ethclient.Client
	dev *devchaintest.Chain
	// name is what the chain is called in transfer events, decimals those
	// of its test USDT and tokenList its development token list.
	name      string
	decimals  int32
	tokenList string
	payer     *ecdsa.PrivateKey
	nonces    ethtx.Nonces
}

// Start runs the development chain ETH until the test ends.
func Start(t testing.TB) *Chain {
	t.Helper()
	return StartChain(t, "ETH", devchain.ChainID)
}

// StartChain runs a development chain with the chain id chainID, called name
// in its transfer events, until the test ends.
func StartChain(t testing.TB, name string, chainID uint64) *Chain {
	t.Helper()
	dev := devchaintest.StartWith(t, devchain.Config{ChainID: chainID})
	payer, _, err := hdwallet.DevAccount(1)
	if err != nil {
		t.Fatal(err)
	}
	c := &Chain{t: t, Dev: dev.Chain, RPC: dev.RPC, Eth: dev.Eth, dev: dev, name: name,
		decimals: int32(devchain.TokenDecimals(chainID)), tokenList: tokens.DevUSDT, payer: payer}
	if chainID == devchain.BSCChainID {
		c.tokenList = tokens.DevBSCUSDT
	}
	return c
}

// Witness is a witness of this chain for the development token list.
func (c *Chain) Witness(confirmations uint64) *witness.Witness {
	c.t.Helper()
	list, err := tokens.Parse(c.tokenList)
	if err != nil {
		c.t.Fatal(err)
	}
	return &witness.Witness{Node: c.RPC, Chain: c.name, Tokens: list, Confirmations: confirmations}
}

// Mine mines n blocks.
func (c *Chain) Mine(n int) {
	c.t.Helper()
	if err := c.Dev.Mine(n); err != nil {
		c.t.Fatal(err)
	}
}

// Head is the chain's newest block number.
func (c *Chain) Head() uint64 {
	c.t.Helper()
	return c.dev.Head()
}

// Address is a fresh address named after label, for recipients.
func Address(label string) common.Address {
	return common.BytesToAddress(crypto.Keccak256([]byte(label))[12:])
}

// Pay sends amounts[i] base units of the test USDT to to[i], all in one
// transaction, mines it and returns the events of its transfers as the
// listener reports them when it first sees them (kind seen, sequence 1), in
// log order.
func (c *Chain) Pay(to []common.Address, amounts []int64) []events.Transfer {
	c.t.Helper()
	values := make([]*big.Int, len(amounts))
	for i, a := range amounts {
		values[i] = big.NewInt(a)
	}
	return c.PayExact(to, values)
}

// PayExact is Pay for amounts of any size, as the 18 decimals of BSC's test
// USDT need.
func (c *Chain) PayExact(to []common.Address, values []*big.Int) []events.Transfer {
	c.t.Helper()
	token := common.HexToAddress(erc20.DevTokenAddress)
	tx, err := ethtx.SendWith(c.t.Context(), c.Eth, &c.nonces, c.payer, token, erc20.NewTestUSDT().PackTransferBatch(to, values), nil)
	if err != nil {
		c.t.Fatalf("pay: %v", err)
	}
	r := c.Mined(tx.Hash())
	if r.Status != 1 {
		c.t.Fatalf("pay: transaction %s failed", tx.Hash())
	}
	out := make([]events.Transfer, 0, len(r.Logs))
	for _, l := range r.Logs {
		out = append(out, events.Transfer{
			Kind: events.KindSeen, Chain: c.name, Symbol: "USDT", Token: lower(token.Hex()), Decimals: c.decimals,
			TxHash: lower(l.TxHash.Hex()), LogIndex: l.Index, BlockNumber: l.BlockNumber, BlockHash: lower(l.BlockHash.Hex()),
			From:   lower(common.BytesToAddress(l.Topics[1].Bytes()).Hex()),
			To:     lower(common.BytesToAddress(l.Topics[2].Bytes()).Hex()),
			Amount: new(big.Int).SetBytes(l.Data).String(), Confirmations: 1, Sequence: 1,
		})
	}
	return out
}

// Mined mines until the transaction tx is in a block, and returns its
// receipt: the pool takes a transaction in the background.
func (c *Chain) Mined(tx common.Hash) *types.Receipt {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c.Mine(1)
		r, err := c.Eth.TransactionReceipt(c.t.Context(), tx)
		if err == nil {
			return r
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("transaction %s not mined: %v", tx, err)
		}
	}
}

// Reorg replaces the chain's last n blocks and checks that the transaction
// txHash is no longer on it.
func (c *Chain) Reorg(n int, txHash string) {
	c.t.Helper()
	if err := c.Dev.Reorg(n); err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.Eth.TransactionReceipt(c.t.Context(), common.HexToHash(txHash)); !errors.Is(err, ethereum.NotFound) {
		c.t.Fatalf("transaction %s after a reorg of %d blocks: %v, want it gone", txHash, n, err)
	}
}

// Confirmed is ev as the listener reports it once deep enough: kind
// confirmed, a later sequence.
func Confirmed(ev events.Transfer, confirmations uint64) events.Transfer {
	ev.Kind, ev.Confirmations, ev.Sequence = events.KindConfirmed, confirmations, ev.Sequence+1
	return ev
}

func lower(s string) string { return strings.ToLower(s) }
