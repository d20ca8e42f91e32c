// Package devchaintest runs the development chain for tests: started on free
// local ports and stopped when the test ends, with a client on it, and the
// funding and mining that tests around the chain share.
package devchaintest

import (
	"context"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/rs/zerolog"

	"paysuite/pkg/devchain"
	"paysuite/pkg/erc20"
	"paysuite/pkg/ethtx"
	"paysuite/pkg/hdwallet"
)

// Funder is the development account Fund sends from. Account 0 is left to
// the services, which fund their wallets from it in the development mode.
const Funder = 1

// Wait bounds how long the helpers wait for the chain (a new genesis, funding
// mined).
const Wait = 10 * time.Second

// Chain is a development chain started for a test, with clients on its
// JSON-RPC over HTTP endpoint. The helpers fail the test that started it.
type Chain struct {
	*devchain.Chain
	RPC *rpc.Client
	Eth *ethclient.Client
	tb  testing.TB
}

// Start starts an in-memory chain mining on demand, until the test ends.
func Start(tb testing.TB) *Chain {
	tb.Helper()
	return StartWith(tb, devchain.Config{})
}

// StartWith starts a chain with cfg until the test ends; an empty listen
// address is a free local port.
func StartWith(tb testing.TB, cfg devchain.Config) *Chain {
	tb.Helper()
	if cfg.HTTPAddr == "" {
		cfg.HTTPAddr = "127.0.0.1:0"
	}
	if cfg.WSAddr == "" {
		cfg.WSAddr = "127.0.0.1:0"
	}
	dev, err := devchain.Start(tb.Context(), cfg, zerolog.Nop())
	if err != nil {
		tb.Fatalf("start development chain: %v", err)
	}
	tb.Cleanup(func() { _ = dev.Close() })
	client, err := rpc.DialContext(tb.Context(), dev.HTTPURL())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(client.Close)
	return &Chain{Chain: dev, RPC: client, Eth: ethclient.NewClient(client), tb: tb}
}

// StartOtherThan is StartWith for a chain whose genesis is not genesis: the
// development chain started afresh. A genesis holds its start time in
// seconds, so a chain started in the same second as another has its genesis.
func StartOtherThan(tb testing.TB, genesis common.Hash, cfg devchain.Config) *Chain {
	tb.Helper()
	deadline := time.Now().Add(Wait)
	for {
		c := StartWith(tb, cfg)
		if c.Genesis() != genesis {
			return c
		}
		c.RPC.Close()
		_ = c.Close()
		if time.Now().After(deadline) {
			tb.Fatalf("every new chain has the genesis %s", genesis)
		}
	}
}

// Genesis is the hash of the chain's block 0.
func (c *Chain) Genesis() common.Hash {
	c.tb.Helper()
	hdr, err := c.Eth.HeaderByNumber(c.tb.Context(), big.NewInt(0))
	if err != nil {
		c.tb.Fatal(err)
	}
	return hdr.Hash()
}

// Head is the number of the chain's newest block.
func (c *Chain) Head() uint64 {
	c.tb.Helper()
	n, err := c.Eth.BlockNumber(c.tb.Context())
	if err != nil {
		c.tb.Fatal(err)
	}
	return n
}

// Fund sends wei and usdt base units of the test USDT to `to` from
// development account Funder, and mines until both are in.
func (c *Chain) Fund(to common.Address, wei, usdt *big.Int) {
	c.tb.Helper()
	ctx := c.tb.Context()
	key, _, err := hdwallet.DevAccount(Funder)
	if err != nil {
		c.tb.Fatal(err)
	}
	var nonces ethtx.Nonces // two quick sends from one key
	ether, err := ethtx.SendWith(ctx, c.Eth, &nonces, key, to, nil, wei)
	if err != nil {
		c.tb.Fatalf("fund %s with ether: %v", to, err)
	}
	tokens, err := ethtx.TransferTokenWith(ctx, c.Eth, &nonces, key, common.HexToAddress(erc20.DevTokenAddress), to, usdt)
	if err != nil {
		c.tb.Fatalf("fund %s with test USDT: %v", to, err)
	}
	c.mineUntilIn(ether.Hash(), tokens.Hash())
}

// Deposit sends units[i] base units of the test USDT to to[i] from
// development account Funder, for each i, mines until all are in, and
// returns the transactions' hashes.
func (c *Chain) Deposit(to []common.Address, units []*big.Int) []common.Hash {
	c.tb.Helper()
	key, _, err := hdwallet.DevAccount(Funder)
	if err != nil {
		c.tb.Fatal(err)
	}
	var nonces ethtx.Nonces
	hashes := make([]common.Hash, len(to))
	for i, addr := range to {
		sent, err := ethtx.TransferTokenWith(c.tb.Context(), c.Eth, &nonces, key, common.HexToAddress(erc20.DevTokenAddress), addr, units[i])
		if err != nil {
			c.tb.Fatalf("deposit to %s: %v", addr, err)
		}
		hashes[i] = sent.Hash()
	}
	c.mineUntilIn(hashes...)
	return hashes
}

// mineUntilIn mines blocks until every transaction of hashes is in one and
// succeeded. The node's pool takes a transaction in the background, so the
// first block may miss it.
func (c *Chain) mineUntilIn(hashes ...common.Hash) {
	c.tb.Helper()
	deadline := time.Now().Add(Wait)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for _, h := range hashes {
		for {
			r, err := c.Eth.TransactionReceipt(c.tb.Context(), h)
			if err == nil {
				if r.Status != types.ReceiptStatusSuccessful {
					c.tb.Fatalf("transaction %s reverted", h)
				}
				break
			}
			if time.Now().After(deadline) {
				c.tb.Fatalf("transaction %s not mined within %s: %v", h, Wait, err)
			}
			if err := c.Mine(1); err != nil {
				c.tb.Fatal(err)
			}
			<-tick.C
		}
	}
}

// MineEvery mines a block every period until stop is called or the test
// ends.
func (c *Chain) MineEvery(period time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				// A chain closed under the miner (a restart) just ends the blocks.
				_ = c.Mine(1)
			}
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	c.tb.Cleanup(stop)
	return stop
}
