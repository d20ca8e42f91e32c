package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"

	"paysuite/pkg/devchain"
	"paysuite/pkg/erc20"
	"paysuite/pkg/hdwallet"
)

// hardhatDir is the Hardhat project that configures Hardhat Network as the
// development chain (hardhat.config.js); its packages are pinned by
// package-lock.json.
const hardhatDir = "testdata/hardhat"

// hardhatCallTimeout bounds one control call to the Hardhat node.
const hardhatCallTimeout = 30 * time.Second

// TestHardhat runs the main flows, the same code as their devchain tests,
// against Hardhat Network: an independent node implementation, reached only
// through the services' configuration (ETH_RPC_URL, ETH_WS_URL). Each flow
// gets a node of its own, as each devchain test gets its own chain.
func TestHardhat(t *testing.T) {
	flows := []struct {
		name string
		run  func(*testing.T, *Suite)
	}{
		{"deposit pending then confirmed", depositPendingThenConfirmed},
		{"withdraw from the hot wallet", withdrawSameRequestIDRepeated},
		{"pay with gas funding", payFromUserOrHotWallet},
		{"order fresh address", orderPayments},
		{"order unique amount on a shared address", orderAmountModeTwoReplicas},
		{"order payment reorged", orderReorg},
	}
	for _, f := range flows {
		t.Run(f.name, func(t *testing.T) {
			// As many at once as -parallel allows (GOMAXPROCS by default): the
			// flows spend most of their time waiting for blocks and expiries.
			t.Parallel()
			node := startHardhat(t)
			s := NewSuiteOn(t, node)
			f.run(t, s)
			// The listener follows Hardhat's heads over WebSocket, as it does
			// the devchain's, rather than falling back to polling.
			if s.logs["chain-listener"] != "" {
				if !strings.Contains(fileTail(node.logPath, 0), "eth_subscribe") {
					t.Error("the chain-listener never subscribed to Hardhat's new heads")
				}
				if s.lastLogContains("chain-listener", "head subscription dropped") {
					t.Error("the chain-listener lost its head subscription to Hardhat")
				}
			}
		})
	}
}

// TestHardhatMatchesDevchain checks what the flows take for granted of the
// second node: the same accounts and token, the same gas for a token transfer,
// new heads over WebSocket, and a reorganisation that replaces the block of a
// transfer with an empty one and keeps what was pending.
func TestHardhatMatchesDevchain(t *testing.T) {
	dev := startChain(t, devchain.Config{HTTPAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0"})
	hh := startHardhat(t)
	nodes := map[string]Node{"devchain": dev, "hardhat": hh}

	// A transfer to an address that never held the token, the deposits' case:
	// the same one on both nodes, since a zero byte of the address in the call
	// data costs 12 gas less than another byte.
	gas := map[string]uint64{}
	fresh := newAddress(t)
	for name, node := range nodes {
		eth, err := ethclient.Dial(node.HTTPURL())
		if err != nil {
			t.Fatal(err)
		}
		defer eth.Close()
		id, err := eth.ChainID(t.Context())
		if err != nil || id.Int64() != devchain.ChainID {
			t.Fatalf("%s: chain id %v, %v", name, id, err)
		}
		_, holder, _ := hdwallet.DevAccount(9)
		if bal, err := erc20.NewToken(common.HexToAddress(erc20.DevTokenAddress), eth).BalanceOf(t.Context(), holder); err != nil || bal.Cmp(devchain.TokenAmountEach(devchain.ChainID)) != 0 {
			t.Fatalf("%s: account 9 holds %v test USDT base units (%v)", name, bal, err)
		}
		s := &Suite{t: t, Chain: node, Eth: eth, token: common.HexToAddress(erc20.DevTokenAddress)}
		tx := s.SendUSDT(1, fresh, "1")
		s.Mine(1)
		r, err := eth.TransactionReceipt(t.Context(), tx)
		if err != nil || r.Status != types.ReceiptStatusSuccessful {
			t.Fatalf("%s: transfer receipt %+v, %v", name, r, err)
		}
		gas[name] = r.GasUsed
		head, err := eth.HeaderByNumber(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: transfer to a new holder used %d gas at %s wei effective gas price; block %d gas limit %d base fee %s",
			name, r.GasUsed, r.EffectiveGasPrice, head.Number, head.GasLimit, head.BaseFee)
	}
	if gas["devchain"] != gas["hardhat"] {
		t.Errorf("a token transfer to a new holder costs %d gas on the devchain and %d on Hardhat", gas["devchain"], gas["hardhat"])
	}

	t.Run("new heads over WebSocket", func(t *testing.T) {
		ws, err := ethclient.DialContext(t.Context(), hh.WSURL())
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		heads := make(chan *types.Header, 4)
		sub, err := ws.SubscribeNewHead(t.Context(), heads)
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Unsubscribe()
		if err := hh.Mine(1); err != nil {
			t.Fatal(err)
		}
		want, err := hh.head(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		select {
		case h := <-heads:
			if h.Number.Uint64() != want {
				t.Fatalf("new head %d, want %d", h.Number, want)
			}
		case err := <-sub.Err():
			t.Fatalf("subscription: %v", err)
		case <-time.After(wait):
			t.Fatal("no new head announced")
		}
	})

	t.Run("reorg", func(t *testing.T) {
		eth, err := ethclient.Dial(hh.HTTPURL())
		if err != nil {
			t.Fatal(err)
		}
		defer eth.Close()
		s := &Suite{t: t, Chain: hh, Eth: eth, token: common.HexToAddress(erc20.DevTokenAddress)}
		removed := s.SendUSDT(2, newAddress(t), "1")
		s.Mine(1)
		oldHead, err := eth.HeaderByNumber(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		kept := s.SendUSDT(3, newAddress(t), "2") // pending while the chain reorganises
		if err := hh.Reorg(1); err != nil {
			t.Fatal(err)
		}
		newHead, err := eth.HeaderByNumber(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if newHead.Number.Cmp(oldHead.Number) != 0 || newHead.Hash() == oldHead.Hash() || newHead.ParentHash != oldHead.ParentHash {
			t.Fatalf("head %d %s (parent %s) after the reorg of %d %s (parent %s)",
				newHead.Number, newHead.Hash(), newHead.ParentHash, oldHead.Number, oldHead.Hash(), oldHead.ParentHash)
		}
		block, err := eth.BlockByNumber(t.Context(), newHead.Number)
		if err != nil {
			t.Fatal(err)
		}
		if len(block.Transactions()) != 0 {
			t.Fatalf("the replacement block holds %d transactions", len(block.Transactions()))
		}
		s.Mine(2)
		if r, _ := eth.TransactionReceipt(t.Context(), removed); r != nil {
			t.Fatalf("the reorged transfer came back in block %d", r.BlockNumber)
		}
		if r, err := eth.TransactionReceipt(t.Context(), kept); err != nil || r.BlockNumber.Cmp(new(big.Int).Add(newHead.Number, common.Big1)) != 0 {
			t.Fatalf("the transfer pending during the reorg: receipt %+v, %v", r, err)
		}
	})
}

// hardhatInstall installs the Hardhat project's packages once per test binary
// when they are missing.
var hardhatInstall = sync.OnceValue(func() error {
	if _, err := os.Stat(filepath.Join(hardhatDir, "node_modules", ".bin", "hardhat")); err == nil {
		return nil
	}
	// --prefer-offline: packages already in npm's cache are taken from it
	// without asking the registry again, which can take minutes when it is slow.
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--prefer-offline")
	cmd.Dir = hardhatDir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm ci in services/e2e/%s failed; the Hardhat tests need npm and the npm registry: %v\n%s", hardhatDir, err, out)
	}
	return nil
})

// hardhatNode is a Hardhat Network node in a process of its own. Hardhat
// cannot rewrite past blocks as anvil_reorg does, so Mine takes an evm_snapshot
// before every block, and Reorg reverts to the snapshot of the first block it
// replaces and mines new ones from there.
type hardhatNode struct {
	port    int
	logPath string // the node's output: every call it served
	rpc     *rpc.Client
	cmd     *exec.Cmd
	exited  chan struct{}

	mu sync.Mutex // serialises mining and reorganising, as devchain does
	// before holds the evm_snapshot taken just before block n was mined.
	before map[uint64]string

	closeOnce sync.Once
}

// startHardhat starts a node, deploys the test USDT and stops the node when
// the test ends.
func startHardhat(t testing.TB) *hardhatNode {
	t.Helper()
	if err := hardhatInstall(); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "hardhat.log")
	var n *hardhatNode
	var err error
	for range 3 { // the free port found may be taken before Hardhat binds it
		if n, err = launchHardhat(t.Context(), logPath); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("start Hardhat node: %v\n%s", err, fileTail(logPath, 20000))
	}
	t.Cleanup(func() {
		_ = n.Close()
		if t.Failed() {
			t.Logf("---- hardhat node (%s) ----\n%s", logPath, fileTail(logPath, 20000))
		}
	})
	if err := n.setUp(t.Context()); err != nil {
		t.Fatalf("set up Hardhat node: %v", err)
	}
	return n
}

func launchHardhat(ctx context.Context, logPath string) (*hardhatNode, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	bin, err := filepath.Abs(filepath.Join(hardhatDir, "node_modules", ".bin", "hardhat"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "node", "--hostname", "127.0.0.1", "--port", strconv.Itoa(port))
	cmd.Dir = hardhatDir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // Close stops whatever it spawns too
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	n := &hardhatNode{port: port, logPath: logPath, cmd: cmd, exited: make(chan struct{}), before: map[uint64]string{}}
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(n.exited)
	}()
	if n.rpc, err = rpc.DialContext(ctx, n.HTTPURL()); err != nil {
		return nil, errors.Join(err, n.Close())
	}
	if err := n.waitReady(ctx); err != nil {
		return nil, errors.Join(err, n.Close())
	}
	return n, nil
}

// waitReady polls eth_chainId until the node answers.
func (n *hardhatNode) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(wait)
	for {
		var id hexutil.Uint64
		err := n.rpc.CallContext(ctx, &id, "eth_chainId")
		if err == nil {
			if id != devchain.ChainID {
				return fmt.Errorf("chain id %d, want %d: check %s/hardhat.config.js", id, devchain.ChainID, hardhatDir)
			}
			return nil
		}
		select {
		case <-n.exited:
			return fmt.Errorf("hardhat node exited before it was ready: %v", n.cmd.ProcessState)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("hardhat node not ready after %s: %w", wait, err)
		}
	}
}

// setUp checks that the node funds the development accounts and deploys the
// test USDT from account 0 at nonce 0 in block 1, as devchain does.
func (n *hardhatNode) setUp(ctx context.Context) error {
	var accounts []common.Address
	if err := n.rpc.CallContext(ctx, &accounts, "eth_accounts"); err != nil {
		return err
	}
	holders := make([]common.Address, devchain.FundedAccounts)
	for i := range holders {
		_, holders[i], _ = hdwallet.DevAccount(i)
	}
	if len(accounts) != len(holders) {
		return fmt.Errorf("%d accounts, want the %d development accounts", len(accounts), len(holders))
	}
	for i := range holders {
		if accounts[i] != holders[i] {
			return fmt.Errorf("account %d is %s, development account %d is %s: the mnemonic differs", i, accounts[i], i, holders[i])
		}
	}
	key, _, err := hdwallet.DevAccount(0)
	if err != nil {
		return err
	}
	client := ethclient.NewClient(n.rpc)
	opts := bind.NewKeyedTransactor(key, big.NewInt(devchain.ChainID))
	opts.Context = ctx
	opts.Nonce = new(big.Int) // nonce 0 is what makes the address well known
	addr, tx, err := erc20.Deploy(opts, client, holders, devchain.TokenAmountEach(devchain.ChainID), erc20.Decimals)
	if err != nil {
		return fmt.Errorf("deploy test USDT: %w", err)
	}
	if addr != common.HexToAddress(erc20.DevTokenAddress) {
		return fmt.Errorf("test USDT deployed at %s, want %s", addr, erc20.DevTokenAddress)
	}
	if err := n.Mine(1); err != nil {
		return err
	}
	r, err := client.TransactionReceipt(ctx, tx.Hash())
	if err != nil {
		return fmt.Errorf("test USDT deployment receipt: %w", err)
	}
	if r.Status != types.ReceiptStatusSuccessful || r.BlockNumber.Uint64() != 1 {
		return fmt.Errorf("test USDT deployment: status %d in block %s", r.Status, r.BlockNumber)
	}
	return nil
}

func (n *hardhatNode) HTTPURL() string { return fmt.Sprintf("http://127.0.0.1:%d", n.port) }

// WSURL is the same port: Hardhat serves WebSocket and HTTP on one listener.
func (n *hardhatNode) WSURL() string { return fmt.Sprintf("ws://127.0.0.1:%d", n.port) }

// Mine mines n blocks, each with an evm_snapshot taken before it.
func (n *hardhatNode) Mine(count int) error {
	if count < 0 {
		return fmt.Errorf("mine %d blocks: negative count", count)
	}
	ctx, cancel := context.WithTimeout(context.Background(), hardhatCallTimeout)
	defer cancel()
	n.mu.Lock()
	defer n.mu.Unlock()
	for range count {
		if err := n.mineOne(ctx, 0); err != nil {
			return err
		}
	}
	return nil
}

// mineOne snapshots the chain and mines one block, at timestamp unless it is
// 0. The caller holds mu.
func (n *hardhatNode) mineOne(ctx context.Context, timestamp uint64) error {
	head, err := n.head(ctx)
	if err != nil {
		return err
	}
	var id string
	if err := n.rpc.CallContext(ctx, &id, "evm_snapshot"); err != nil {
		return fmt.Errorf("snapshot before block %d: %w", head+1, err)
	}
	var args []any
	if timestamp != 0 {
		args = append(args, timestamp)
	}
	if err := n.rpc.CallContext(ctx, nil, "evm_mine", args...); err != nil {
		return fmt.Errorf("mine block %d: %w", head+1, err)
	}
	n.before[head+1] = id
	return nil
}

func (n *hardhatNode) head(ctx context.Context) (uint64, error) {
	var num hexutil.Uint64
	if err := n.rpc.CallContext(ctx, &num, "eth_blockNumber"); err != nil {
		return 0, err
	}
	return uint64(num), nil
}

// Reorg replaces the last depth blocks with as many new empty ones, as
// anvil_reorg does on devchain: the transactions of the removed blocks are
// gone, those pending before the reorg stay pending. The replacement blocks
// are a second later than the ones they replace, so that their hashes differ
// even where both are empty.
func (n *hardhatNode) Reorg(depth int) error {
	ctx, cancel := context.WithTimeout(context.Background(), hardhatCallTimeout)
	defer cancel()
	n.mu.Lock()
	defer n.mu.Unlock()
	head, err := n.head(ctx)
	if err != nil {
		return err
	}
	if depth < 1 {
		return fmt.Errorf("reorg depth %d: must be at least 1", depth)
	}
	if uint64(depth) >= head {
		return fmt.Errorf("reorg depth %d at head %d: would replace block 1 (token deployment) or genesis", depth, head)
	}
	first := head - uint64(depth) + 1
	snapshot, ok := n.before[first]
	if !ok {
		return fmt.Errorf("reorg depth %d: no snapshot before block %d", depth, first)
	}
	stamps := make([]uint64, 0, depth)
	for num := first; num <= head; num++ {
		var b struct {
			Timestamp hexutil.Uint64 `json:"timestamp"`
		}
		if err := n.rpc.CallContext(ctx, &b, "eth_getBlockByNumber", hexutil.EncodeUint64(num), false); err != nil {
			return fmt.Errorf("reorg: block %d: %w", num, err)
		}
		stamps = append(stamps, uint64(b.Timestamp))
	}
	pending, err := n.pool(ctx)
	if err != nil {
		return err
	}

	var reverted bool
	if err := n.rpc.CallContext(ctx, &reverted, "evm_revert", snapshot); err != nil || !reverted {
		return fmt.Errorf("reorg: revert to snapshot %s before block %d: %v (reverted %t)", snapshot, first, err, reverted)
	}
	for num := range n.before {
		if num >= first { // used up by the revert
			delete(n.before, num)
		}
	}
	// The revert brings the pool back as it was at the snapshot, with the
	// transactions of the removed blocks: empty it for the replacement blocks.
	restored, err := n.pool(ctx)
	if err != nil {
		return err
	}
	for _, tx := range restored {
		if err := n.rpc.CallContext(ctx, nil, "hardhat_dropTransaction", tx.Hash()); err != nil {
			return fmt.Errorf("reorg: drop %s: %w", tx.Hash(), err)
		}
	}
	for _, stamp := range stamps {
		if err := n.mineOne(ctx, stamp+1); err != nil {
			return fmt.Errorf("reorg: %w", err)
		}
	}
	for _, tx := range pending {
		raw, err := tx.MarshalBinary()
		if err != nil {
			return err
		}
		if err := n.rpc.CallContext(ctx, nil, "eth_sendRawTransaction", hexutil.Bytes(raw)); err != nil {
			return fmt.Errorf("reorg: put pending %s back: %w", tx.Hash(), err)
		}
	}
	return nil
}

// pool returns the transactions the next block would take, which with
// mining on demand are the pool's executable ones.
func (n *hardhatNode) pool(ctx context.Context) ([]*types.Transaction, error) {
	var b struct {
		Transactions []*types.Transaction `json:"transactions"`
	}
	if err := n.rpc.CallContext(ctx, &b, "eth_getBlockByNumber", "pending", true); err != nil {
		return nil, fmt.Errorf("pending block: %w", err)
	}
	return b.Transactions, nil
}

// Close stops the node's process group. It is safe to call more than once.
func (n *hardhatNode) Close() error {
	n.closeOnce.Do(func() {
		if n.rpc != nil {
			n.rpc.Close()
		}
		pgid := n.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-n.exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-n.exited
		}
	})
	return nil
}

// fileTail returns the last limit bytes of the file at path, all of it when limit
// is 0.
func fileTail(path string, limit int) string {
	data, _ := os.ReadFile(path)
	if limit > 0 && len(data) > limit {
		data = data[len(data)-limit:]
	}
	return string(data)
}
