package scanner_test

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/params"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/devchain"
	"paysuite/pkg/devchain/devchaintest"
	"paysuite/pkg/erc20"
	"paysuite/pkg/events"
	"paysuite/pkg/hdwallet"
	"paysuite/pkg/tokens"
	"paysuite/services/chain-listener/internal/chain"
	"paysuite/services/chain-listener/internal/scanner"
	"paysuite/services/chain-listener/internal/store"
)

// benchConfirmations is the listener's default confirmation depth, so that a
// benchmark block's transfers are recorded as seen and confirmed later, as in
// production.
const benchConfirmations = 20

// alwaysLeader lets every transaction through: a benchmark runs one scanner.
type alwaysLeader struct{}

func (alwaysLeader) Fence(*gorm.DB) error { return nil }

// timedChain measures the time the scanner spends waiting for the node, so a
// step's duration can be split between the node and the listener's own work
// (matching, database).
type timedChain struct {
	inner scanner.Chain
	mu    sync.Mutex
	spent time.Duration
}

func (c *timedChain) track(start time.Time) {
	c.mu.Lock()
	c.spent += time.Since(start)
	c.mu.Unlock()
}

// take returns the time spent in the node since the last call.
func (c *timedChain) take() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.spent
	c.spent = 0
	return d
}

func (c *timedChain) Head(ctx context.Context) (uint64, error) {
	defer c.track(time.Now())
	return c.inner.Head(ctx)
}

func (c *timedChain) Blocks(ctx context.Context, from, to uint64) ([]chain.BlockRef, error) {
	defer c.track(time.Now())
	return c.inner.Blocks(ctx, from, to)
}

func (c *timedChain) Finalized(ctx context.Context) (uint64, error) {
	defer c.track(time.Now())
	return c.inner.Finalized(ctx)
}

func (c *timedChain) TransferLogs(ctx context.Context, from, to uint64, toks, recipients []common.Address) ([]types.Log, error) {
	defer c.track(time.Now())
	return c.inner.TransferLogs(ctx, from, to, toks, recipients)
}

// sender is a funded development account with its nonce tracked locally, so
// that transactions are signed without asking the node each time.
type sender struct {
	key   *ecdsa.PrivateKey
	from  common.Address
	nonce uint64
}

// benchChain is an in-process development chain mining on demand, with the
// development accounts ready to send test USDT.
type benchChain struct {
	tb      testing.TB
	dev     *devchaintest.Chain
	eth     *ethclient.Client
	node    *chain.RPC
	token   common.Address
	senders []*sender
}

func startBenchChain(tb testing.TB) *benchChain {
	tb.Helper()
	ctx := tb.Context()
	dev := devchaintest.Start(tb)
	node, err := chain.Dial(ctx, dev.HTTPURL())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(node.Close)
	c := &benchChain{tb: tb, dev: dev, eth: dev.Eth, node: node, token: common.HexToAddress(erc20.DevTokenAddress)}
	for i := 1; i < devchain.FundedAccounts; i++ {
		key, addr, err := hdwallet.DevAccount(i)
		if err != nil {
			tb.Fatal(err)
		}
		nonce, err := dev.Eth.PendingNonceAt(ctx, addr)
		if err != nil {
			tb.Fatal(err)
		}
		c.senders = append(c.senders, &sender{key: key, from: addr, nonce: nonce})
	}
	return c
}

// sendBatch signs and sends one transferBatch of one base unit to each of to,
// from the i-th sender. With gas 0 it uses the node's estimate plus a small
// margin (the estimate is exact for the state the transaction will run on).
func (c *benchChain) sendBatch(i int, to []common.Address, gas uint64) common.Hash {
	c.tb.Helper()
	ctx := c.tb.Context()
	s := c.senders[i%len(c.senders)]
	values := make([]*big.Int, len(to))
	for j := range values {
		values[j] = big.NewInt(1)
	}
	data := erc20.NewTestUSDT().PackTransferBatch(to, values)
	if gas == 0 {
		est, err := c.eth.EstimateGas(ctx, ethereum.CallMsg{From: s.from, To: &c.token, Data: data})
		if err != nil {
			c.tb.Fatalf("estimate a batch of %d transfers: %v", len(to), err)
		}
		gas = min(est*105/100, params.MaxTxGas)
	}
	tx := types.NewTx(&types.DynamicFeeTx{
		ChainID: big.NewInt(devchain.ChainID), Nonce: s.nonce, Gas: gas, To: &c.token, Data: data,
		// The node refuses fees above 1 ether a transaction: 50 gwei keeps
		// the largest batch under it and far above the base fee of these blocks.
		GasTipCap: big.NewInt(params.GWei), GasFeeCap: big.NewInt(50 * params.GWei),
	})
	signed, err := types.SignTx(tx, types.LatestSignerForChainID(big.NewInt(devchain.ChainID)), s.key)
	if err != nil {
		c.tb.Fatal(err)
	}
	if err := c.eth.SendTransaction(ctx, signed); err != nil {
		c.tb.Fatalf("send a batch of %d transfers: %v", len(to), err)
	}
	s.nonce++
	return signed.Hash()
}

// sendSpread sends one transfer to each of to, in batches of at most per, from
// senders taken in turn.
func (c *benchChain) sendSpread(to []common.Address, per int) []common.Hash {
	var hashes []common.Hash
	for i := 0; i*per < len(to); i++ {
		hashes = append(hashes, c.sendBatch(i, to[i*per:min((i+1)*per, len(to))], 0))
	}
	return hashes
}

// mineAll mines blocks until every transaction of hashes is included and
// successful; it returns the blocks that hold them.
func (c *benchChain) mineAll(hashes []common.Hash) map[uint64]int {
	c.tb.Helper()
	blocks := map[uint64]int{}
	left := hashes
	for round := 0; len(left) > 0; round++ {
		if round == 50 {
			c.tb.Fatalf("%d transactions still not mined after %d blocks", len(left), round)
		}
		if err := c.dev.Mine(1); err != nil {
			c.tb.Fatal(err)
		}
		var still []common.Hash
		for _, h := range left {
			r, err := c.eth.TransactionReceipt(c.tb.Context(), h)
			if err != nil {
				still = append(still, h)
				continue
			}
			if r.Status != types.ReceiptStatusSuccessful {
				c.tb.Fatalf("transaction %s failed (gas used %d)", h, r.GasUsed)
			}
			blocks[r.BlockNumber.Uint64()] += len(r.Logs)
		}
		left = still
	}
	return blocks
}

// head returns the number of the newest block.
func (c *benchChain) head() uint64 {
	c.tb.Helper()
	return c.dev.Head()
}

// benchAddresses derives n addresses from a fixed seed and a label, so every
// run uses the same ones.
func benchAddresses(label string, n int) []common.Address {
	out := make([]common.Address, n)
	for i := range out {
		out[i] = common.BytesToAddress(crypto.Keccak256([]byte("paysuite-bench/" + label + "/" + strconv.Itoa(i)))[12:])
	}
	return out
}

// testKeys are the suite's internal keys in these tests.
func testKeys(tb testing.TB) events.Keys {
	tb.Helper()
	keys, err := events.NewKeys([]byte("listener-test-internal-secret"))
	if err != nil {
		tb.Fatal(err)
	}
	return keys
}

// benchListener is a scanner over its own schema, its database handle and the
// node wrapper that times the node's share of each step.
type benchListener struct {
	tb    testing.TB
	db    *gorm.DB
	store *store.Store
	chain *timedChain
	scan  *scanner.Scanner
}

// newBenchListener opens a fresh listener schema on the real server and builds
// a scanner that starts after block start-1.
func newBenchListener(tb testing.TB, c *benchChain, start uint64) *benchListener {
	tb.Helper()
	gdb := dbtest.Open(tb, store.Migrations())
	l := &benchListener{tb: tb, db: gdb, store: store.New(gdb).Chain("ETH"), chain: &timedChain{inner: c.node}}
	l.scan = l.scanner(l.chain, benchOptions(tb, start))
	return l
}

// benchOptions are the tests' scanner options, for a scanner that starts
// after block start-1.
func benchOptions(tb testing.TB, start uint64) scanner.Options {
	tb.Helper()
	toks, err := tokens.Parse("USDT:" + erc20.DevTokenAddress + ":6")
	if err != nil {
		tb.Fatal(err)
	}
	return scanner.Options{
		Chain: "ETH", Confirmations: benchConfirmations, Tokens: toks,
		BatchBlocks: 100, Backfill: 256, MaxBackfill: 100000, BackfillChunk: 2000, Start: &start, DevMode: true, Keys: testKeys(tb),
	}
}

// scanner builds another scanner of l's store on node, as a restart or
// another replica would.
func (l *benchListener) scanner(node scanner.Chain, opts scanner.Options) *scanner.Scanner {
	return scanner.New(node, l.store, alwaysLeader{}, opts, zerolog.Nop(), func() {})
}

// stepWith runs one step of s.
func (l *benchListener) stepWith(s *scanner.Scanner) {
	l.tb.Helper()
	if _, err := s.Step(l.tb.Context()); err != nil {
		l.tb.Fatalf("scanner step: %v", err)
	}
}

// watchSequence adds n synthetic watched addresses (0x…0001 to 0x…n) with the
// server's sequence engine, already backfilled: the bulk of a large deployment.
func (l *benchListener) watchSequence(n int) {
	l.tb.Helper()
	q := "INSERT INTO watched (chain, address, owner, backfill_pending) " +
		"SELECT 'ETH', CONCAT('0x', LPAD(LOWER(HEX(seq)), 40, '0')), 'topup', 0 FROM seq_1_to_" + strconv.Itoa(n)
	if err := l.db.WithContext(l.tb.Context()).Exec(q).Error; err != nil {
		l.tb.Fatalf("watch %d synthetic addresses: %v", n, err)
	}
}

// watch adds addrs as watched by topup, already backfilled.
func (l *benchListener) watch(addrs []common.Address) {
	l.tb.Helper()
	for start := 0; start < len(addrs); start += 1000 {
		chunk := addrs[start:min(start+1000, len(addrs))]
		var sb strings.Builder
		args := make([]any, 0, len(chunk))
		sb.WriteString("INSERT INTO watched (chain, address, owner, backfill_pending) VALUES ")
		for i, a := range chunk {
			if i > 0 {
				sb.WriteString(",")
			}
			sb.WriteString("('ETH', ?, 'topup', 0)")
			args = append(args, strings.ToLower(a.Hex()))
		}
		if err := l.db.WithContext(l.tb.Context()).Exec(sb.String(), args...).Error; err != nil {
			l.tb.Fatalf("watch %d addresses: %v", len(chunk), err)
		}
	}
}

// step runs one scanner step and returns its duration and the node's share.
func (l *benchListener) step() (total, node time.Duration) {
	l.tb.Helper()
	l.chain.take()
	start := time.Now()
	if _, err := l.scan.Step(l.tb.Context()); err != nil {
		l.tb.Fatalf("scanner step: %v", err)
	}
	return time.Since(start), l.chain.take()
}

// countTransfers counts the recorded transfers in status.
func (l *benchListener) countTransfers(status string) int64 {
	l.tb.Helper()
	n, err := l.store.CountTransfers(l.tb.Context(), status)
	if err != nil {
		l.tb.Fatal(err)
	}
	return n
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func describe(blocks map[uint64]int) string {
	var parts []string
	for n, logs := range blocks {
		parts = append(parts, fmt.Sprintf("block %d: %d logs", n, logs))
	}
	return strings.Join(parts, ", ")
}
