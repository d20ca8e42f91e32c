// Package witnesstest runs the development chain for tests of what the
// witness confirms: it makes real token transfers and the transfer events the
// chain-listener reports for them.
package witnesstest

import (
	"crypto/ecdsa"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
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
	t      testing.TB
	Dev    *devchain.Chain
	RPC    *rpc.Client
	Eth    *ethclient.Client
	payer  *ecdsa.PrivateKey
	nonces ethtx.Nonces
}

// Start runs a chain until the test ends.
func Start(t testing.TB) *Chain {
	t.Helper()
	dev := devchaintest.Start(t)
	payer, _, err := hdwallet.DevAccount(1)
	if err != nil {
		t.Fatal(err)
	}
	return &Chain{t: t, Dev: dev.Chain, RPC: dev.RPC, Eth: dev.Eth, payer: payer}
}

// Witness is a witness of this chain for the development token list.
func (c *Chain) Witness(confirmations uint64) *witness.Witness {
	c.t.Helper()
	list, err := tokens.Parse(tokens.DevUSDT)
	if err != nil {
		c.t.Fatal(err)
	}
	return &witness.Witness{Node: c.RPC, Chain: "ETH", Tokens: list, Confirmations: confirmations}
}

// Mine mines n blocks.
func (c *Chain) Mine(n int) {
	c.t.Helper()
	if err := c.Dev.Mine(n); err != nil {
		c.t.Fatal(err)
	}
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
	token := common.HexToAddress(erc20.DevTokenAddress)
	tx, err := ethtx.SendWith(c.t.Context(), c.Eth, &c.nonces, c.payer, token, erc20.NewTestUSDT().PackTransferBatch(to, values), nil)
	if err != nil {
		c.t.Fatalf("pay: %v", err)
	}
	// The pool takes a transaction in the background: mine until it is in.
	deadline := time.Now().Add(30 * time.Second)
	for {
		c.Mine(1)
		r, err := c.Eth.TransactionReceipt(c.t.Context(), tx.Hash())
		if err == nil {
			if r.Status != 1 {
				c.t.Fatalf("pay: transaction %s failed", tx.Hash())
			}
			out := make([]events.Transfer, 0, len(r.Logs))
			for _, l := range r.Logs {
				out = append(out, events.Transfer{
					Kind: events.KindSeen, Chain: "ETH", Symbol: "USDT", Token: lower(token.Hex()), Decimals: erc20.Decimals,
					TxHash: lower(l.TxHash.Hex()), LogIndex: l.Index, BlockNumber: l.BlockNumber, BlockHash: lower(l.BlockHash.Hex()),
					From:   lower(common.BytesToAddress(l.Topics[1].Bytes()).Hex()),
					To:     lower(common.BytesToAddress(l.Topics[2].Bytes()).Hex()),
					Amount: new(big.Int).SetBytes(l.Data).String(), Confirmations: 1, Sequence: 1,
				})
			}
			return out
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("pay: transaction %s not mined: %v", tx.Hash(), err)
		}
	}
}

// Confirmed is ev as the listener reports it once deep enough: kind
// confirmed, a later sequence.
func Confirmed(ev events.Transfer, confirmations uint64) events.Transfer {
	ev.Kind, ev.Confirmations, ev.Sequence = events.KindConfirmed, confirmations, ev.Sequence+1
	return ev
}

func lower(s string) string { return strings.ToLower(s) }
