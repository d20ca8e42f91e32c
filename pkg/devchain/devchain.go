// Package devchain runs the development Ethereum chain: a go-ethereum node, in memory or kept in a data
// folder (Config.DataDir) so that it continues across restarts, with chain id 1337,
// funded development accounts, the test USDT deployed, JSON-RPC over HTTP and WebSocket, and Anvil's
// control methods: evm_mine, anvil_mine, anvil_reorg, anvil_dropTransaction, evm_snapshot, evm_revert,
// anvil_setBalance, evm_setAutomine / anvil_setAutomine / anvil_getAutomine,
// evm_setIntervalMining / anvil_setIntervalMining, evm_increaseTime, evm_setNextBlockTimestamp (with
// anvil_ aliases), anvil_impersonateAccount (development accounts only) and anvil_nodeInfo.
// eth_accounts lists the development accounts, and the node signs for them: eth_sendTransaction,
// eth_signTransaction, eth_sign, personal_sign, eth_signTypedData_v4. Methods that would need state
// changed outside blocks (anvil_setCode, anvil_setNonce, anvil_setStorageAt) or unsigned transactions
// (impersonating other addresses) are refused with an error that says so.
package devchain

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"math/big"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/eth/catalyst"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/eth/filters"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/rs/zerolog"

	"paysuite/pkg/erc20"
	"paysuite/pkg/hdwallet"
)

// ChainID is the chain id of the development chain ETH, the default
// (Config.ChainID); BSCChainID is the second development chain's.
const (
	ChainID    = 1337
	BSCChainID = 1338
)

// FundedAccounts is how many development accounts (m/44'/60'/0'/0/0..) the genesis funds and the test
// USDT mints to.
const FundedAccounts = 10

// MaxMineCount bounds one anvil_mine call so that a typo cannot hold the chain for minutes.
const MaxMineCount = 10_000

// rpcModules returns the namespaces served over HTTP and WebSocket.
func rpcModules() []string {
	return []string{"eth", "net", "web3", "txpool", "evm", "anvil", "hardhat", "personal"}
}

// ErrClosed is returned by the chain's methods once Close has been called.
var ErrClosed = errors.New("devchain closed")

// FundedBalance returns the genesis ether balance of each funded account: 10,000 ETH in wei.
func FundedBalance() *big.Int {
	return new(big.Int).Mul(big.NewInt(10_000), big.NewInt(params.Ether))
}

// TokenAmountEach returns the test USDT minted to each funded account of the chain with id chainID:
// 1,000,000,000 USDT in base units of its decimals.
func TokenAmountEach(chainID uint64) *big.Int {
	unit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(TokenDecimals(chainID))), nil)
	return unit.Mul(unit, big.NewInt(1_000_000_000))
}

// TokenDecimals returns the decimals of the test USDT on the development chain with id chainID
// (contract section 5): 18 on BSC's, 6 on ETH's.
func TokenDecimals(chainID uint64) uint8 {
	if chainID == BSCChainID {
		return erc20.BSCDecimals
	}
	return erc20.Decimals
}

// Chain is a running development chain.
type Chain struct {
	chainID *big.Int
	log     zerolog.Logger
	stack   *node.Node
	backend *eth.Ethereum
	beacon  *catalyst.SimulatedBeacon

	// mu serialises everything that produces blocks or rewrites the pool (timed mining, RPC mining,
	// reorgs, dropping transactions): the simulated beacon is not safe for concurrent use, and a block
	// sealed in the middle of a reorg would pick up the transactions the reorg removes.
	mu     sync.Mutex
	closed bool

	// The block clock (timing.go), the fee recipient and the withdrawals queued for the next blocks,
	// guarded by mu.
	timeOffset     int64  // seconds added to the wall clock
	nextTimestamp  uint64 // the next block's exact timestamp, 0 when not set
	blockInterval  uint64 // seconds between blocks regardless of the wall clock, 0 when not set
	coinbase       common.Address
	withdrawals    []*types.Withdrawal
	nextWithdrawal uint64 // the index of the next withdrawal queued

	// Interval mining (interval.go): intervalMu guards the period and its generation, the wake-up
	// channel that tells the loop about a new period, and whether the loop runs. Lock order: mu, then
	// intervalMu.
	intervalMu     sync.Mutex
	intervalPeriod time.Duration
	intervalGen    uint64
	intervalWake   chan struct{}
	intervalLoop   bool

	// sendMu serialises eth_sendTransaction, so that two calls from one account get distinct nonces.
	sendMu sync.Mutex

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error

	// runningFile, for a chain kept in a data folder, is the file that says the chain is running:
	// shutdown removes it once the node has written its state.
	runningFile string
}

// ChainID returns the chain's id (Config.ChainID).
func (c *Chain) ChainID() uint64 { return c.chainID.Uint64() }

// runningFileName is the file in the data folder's instance folder that exists while a chain runs.
// Found at start, it tells that the last run did not stop cleanly (killed, crashed).
const runningFileName = "RUNNING"

// Start builds the development chain, opens its RPC endpoints, deploys the test USDT from account 0
// at nonce 0 and mines that block, then starts timed mining when cfg.BlockPeriod > 0. ctx bounds the
// start-up only; the chain runs until Close.
func Start(ctx context.Context, cfg Config, log zerolog.Logger) (*Chain, error) {
	if cfg.ChainID == 0 {
		cfg.ChainID = ChainID
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("devchain config: %w", err)
	}
	httpHost, httpPort, _ := splitHostPort(cfg.HTTPAddr)
	wsHost, wsPort, _ := splitHostPort(cfg.WSAddr)

	holders := make([]common.Address, FundedAccounts)
	alloc := core.SystemContractAllocs()
	funded := types.GenesisAlloc{}
	for i := range holders {
		_, addr, err := hdwallet.DevAccount(i)
		if err != nil {
			return nil, fmt.Errorf("devchain account %d: %w", i, err)
		}
		holders[i] = addr
		funded[addr] = types.Account{Balance: FundedBalance()}
	}
	maps.Copy(alloc, funded)

	nodeConf := node.DefaultConfig
	// The instance folder inside DataDir; without a name it would be the executable's, so the service
	// and a test binary would not share a folder.
	nodeConf.Name = "devchain"
	// Empty: in memory, every start is a fresh chain.
	nodeConf.DataDir = cfg.DataDir
	nodeConf.IPCPath = "" // no IPC socket, so that several chains can run side by side
	nodeConf.P2P = p2p.Config{NoDiscovery: true, MaxPeers: 0}
	nodeConf.HTTPHost, nodeConf.HTTPPort = httpHost, httpPort
	nodeConf.HTTPVirtualHosts = []string{"*"}
	nodeConf.HTTPCors = []string{"*"}
	nodeConf.HTTPModules = rpcModules()
	nodeConf.WSHost, nodeConf.WSPort = wsHost, wsPort
	nodeConf.WSOrigins = []string{"*"}
	nodeConf.WSModules = rpcModules()

	chainConf, err := chainConfig(cfg.Hardfork, cfg.ChainID)
	if err != nil {
		return nil, fmt.Errorf("devchain config: %w", err)
	}
	ethConf := ethconfig.Defaults
	ethConf.NetworkId = cfg.ChainID
	ethConf.Genesis = &core.Genesis{
		Config:    chainConf,
		GasLimit:  ethconfig.Defaults.Miner.GasCeil,
		Timestamp: uint64(time.Now().Unix()),
		Alloc:     alloc,
	}
	ethConf.SyncMode = ethconfig.FullSync
	ethConf.TxPool.NoLocals = true
	// The chain is small: search logs from block headers instead of an index that is
	// built in the background and could lag right after a block.
	ethConf.LogNoHistory = true
	// The database's memory budget; go-ethereum's default (gigabytes) is sized for mainnet.
	ethConf.DatabaseCache = 64

	stack, err := node.New(&nodeConf)
	if errors.Is(err, node.ErrDatadirUsed) {
		return nil, fmt.Errorf("devchain: DEVCHAIN_DATA_DIR=%s is in use by another running chain: %w", cfg.DataDir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("devchain node: %w", err)
	}
	err = checkCleanStop(stack, cfg.DataDir)
	var stored *params.ChainConfig
	if err == nil {
		stored, err = storedChainConfig(stack, cfg.DataDir)
	}
	if err == nil && stored != nil {
		err = checkStoredRules(stored, chainConf, cfg)
		// The stored genesis is used as it is: a new one would differ at least in its timestamp.
		ethConf.Genesis = nil
	}
	if err != nil {
		return nil, errors.Join(err, stack.Close())
	}
	c := &Chain{chainID: new(big.Int).SetUint64(cfg.ChainID), log: log, stack: stack, stop: make(chan struct{}), done: make(chan struct{})}
	if cfg.DataDir != "" {
		c.runningFile = stack.ResolvePath(runningFileName)
		if err := os.WriteFile(c.runningFile, nil, 0o600); err != nil {
			return nil, errors.Join(fmt.Errorf("devchain: mark the chain in DEVCHAIN_DATA_DIR=%s running: %w", cfg.DataDir, err), stack.Close())
		}
	}
	fresh, err := c.build(&ethConf)
	if err != nil {
		return nil, errors.Join(err, c.shutdown())
	}
	if fresh {
		err = c.deployToken(ctx, holders)
	} else {
		err = c.checkToken(cfg.DataDir)
	}
	if err != nil {
		return nil, errors.Join(err, c.shutdown())
	}
	if cfg.BlockPeriod > 0 {
		go c.produce(cfg.BlockPeriod)
	} else {
		close(c.done)
	}
	state, dataDir := "continued", cfg.DataDir
	if fresh {
		state = "created"
	}
	if dataDir == "" {
		dataDir = "(in memory)"
	}
	log.Info().Str("http_url", c.HTTPURL()).Str("ws_url", c.WSURL()).Uint64("chain_id", cfg.ChainID).
		Str("token", erc20.DevTokenAddress).Dur("block_period", cfg.BlockPeriod).Str("hardfork", hardforkName(cfg.Hardfork)).
		Str("chain", state).Uint64("head", c.backend.BlockChain().CurrentBlock().Number.Uint64()).Str("data_dir", dataDir).
		Msg("devchain started")
	return c, nil
}

// checkCleanStop refuses a data folder whose last chain did not stop cleanly. The state of the recent
// blocks lives in memory and is written when the chain stops; without it go-ethereum would rewind the
// chain to the last state on disk (genesis, or the previous clean stop) and drop the newer blocks,
// which the services' databases may already know.
func checkCleanStop(stack *node.Node, dataDir string) error {
	if dataDir == "" {
		return nil
	}
	_, err := os.Stat(stack.ResolvePath(runningFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("devchain: DEVCHAIN_DATA_DIR=%s: %w", dataDir, err)
	}
	return fmt.Errorf("devchain: the chain in DEVCHAIN_DATA_DIR=%s was not stopped cleanly (killed or crashed), so the state of "+
		"its last blocks is lost: remove the folder to start a new chain (make reset)", dataDir)
}

// storedChainConfig returns the chain configuration kept in the data folder, or nil when the folder
// holds no chain yet (and always for a chain in memory).
func storedChainConfig(stack *node.Node, dataDir string) (*params.ChainConfig, error) {
	if dataDir == "" {
		return nil, nil
	}
	// The same database eth.New opens next; it is closed again before that.
	db, err := stack.OpenDatabaseWithOptions("chaindata", node.DatabaseOptions{})
	if err != nil {
		return nil, fmt.Errorf("devchain: open the database in DEVCHAIN_DATA_DIR=%s: %w", dataDir, err)
	}
	defer db.Close()
	genesis := rawdb.ReadCanonicalHash(db, 0)
	if genesis == (common.Hash{}) {
		return nil, nil
	}
	stored := rawdb.ReadChainConfig(db, genesis)
	if stored == nil {
		return nil, fmt.Errorf("devchain: the chain in DEVCHAIN_DATA_DIR=%s has a genesis block %s but no chain configuration", dataDir, genesis)
	}
	return stored, nil
}

// checkStoredRules refuses to continue a stored chain under other rules than it was created with:
// go-ethereum would either refuse the change or apply it to a chain whose blocks were made without it.
func checkStoredRules(stored, want *params.ChainConfig, cfg Config) error {
	if sameRules(stored, want) {
		return nil
	}
	if stored.ChainID.Cmp(want.ChainID) != 0 {
		return fmt.Errorf("devchain: DEVCHAIN_CHAIN_ID=%d does not match the chain in DEVCHAIN_DATA_DIR=%s, whose id is %s: "+
			"each development chain needs a data folder of its own", cfg.ChainID, cfg.DataDir, stored.ChainID)
	}
	var matching []string
	for _, name := range Hardforks() {
		if c, err := chainConfig(name, cfg.ChainID); err == nil && sameRules(stored, c) {
			matching = append(matching, "DEVCHAIN_HARDFORK="+name)
		}
	}
	made := "rules that no DEVCHAIN_HARDFORK value gives with this go-ethereum version"
	if len(matching) > 0 {
		made = strings.Join(matching, " (or ") + strings.Repeat(")", len(matching)-1)
	}
	return fmt.Errorf("devchain: DEVCHAIN_HARDFORK=%s does not match the chain in DEVCHAIN_DATA_DIR=%s, which was created with %s: "+
		"set DEVCHAIN_HARDFORK to match, or remove the folder to start a new chain (make reset)", cfg.Hardfork, cfg.DataDir, made)
}

// sameRules reports whether two chain configurations are the same, compared as go-ethereum stores them.
func sameRules(a, b *params.ChainConfig) bool {
	aj, errA := json.Marshal(a)
	bj, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(aj, bj)
}

// build assembles the Ethereum service, registers the RPC APIs, starts the node and the beacon. fresh
// reports a new chain, whose head is genesis; otherwise the stored chain continues from its head.
func (c *Chain) build(ethConf *ethconfig.Config) (fresh bool, err error) {
	backend, err := eth.New(c.stack, ethConf)
	if err != nil {
		return false, fmt.Errorf("devchain ethereum service: %w", err)
	}
	c.backend = backend
	// A stored chain whose head is still genesis (its first start stopped before block 1) is new too.
	fresh = backend.BlockChain().CurrentBlock().Number.Sign() == 0
	filterSystem := filters.NewFilterSystem(backend.APIBackend, filters.Config{})
	accounts, err := devAccounts()
	if err != nil {
		return false, err
	}
	// The beacon's own loop is never started (Start is not called): blocks are sealed by sealLocked
	// (mining.go) only, and the beacon serves to move the head (Fork). Its period is not 0 because
	// with 0 its dev API would mine on every new transaction; that API is not served over RPC.
	beacon, err := catalyst.NewSimulatedBeacon(math.MaxUint64, common.Address{}, backend)
	if err != nil {
		return false, fmt.Errorf("devchain beacon: %w", err)
	}
	c.beacon = beacon
	catalyst.RegisterSimulatedBeaconAPIs(c.stack, beacon)
	ctl := &controls{chain: c}
	// Registered after eth.New's APIs: a later registration of a method replaces an earlier one,
	// which is how accountsAPI's eth_accounts and signing methods win over go-ethereum's.
	c.stack.RegisterAPIs([]rpc.API{
		{Namespace: "eth", Service: filters.NewFilterAPI(filterSystem)},
		{Namespace: "eth", Service: &accountsAPI{chain: c, accounts: accounts}},
		{Namespace: "personal", Service: &personalAPI{chain: c}},
		{Namespace: "evm", Service: &evmAPI{chain: c, ctl: ctl}},
		{Namespace: "anvil", Service: &anvilAPI{chain: c, ctl: ctl}},
		{Namespace: "hardhat", Service: &hardhatAPI{anvil: &anvilAPI{chain: c, ctl: ctl}}},
	})
	if err := c.stack.Start(); err != nil {
		return false, fmt.Errorf("devchain start node: %w", err)
	}
	if !fresh {
		// The beacon sends its first forkchoice update only on a chain at genesis: the stored head stays.
		return false, nil
	}
	// The beacon's first forkchoice update moves the head to the merge transition; settle it back on
	// genesis so the first mined block is block 1.
	if err := beacon.Fork(backend.BlockChain().GetCanonicalHash(0)); err != nil {
		return false, fmt.Errorf("devchain reset to genesis: %w", err)
	}
	return true, nil
}

// checkToken makes sure that a continued chain has the test USDT that its first start deployed.
func (c *Chain) checkToken(dataDir string) error {
	state, err := c.backend.BlockChain().State()
	if err != nil {
		return fmt.Errorf("devchain: state of the stored head in DEVCHAIN_DATA_DIR=%s: %w", dataDir, err)
	}
	if state.GetCodeSize(common.HexToAddress(erc20.DevTokenAddress)) == 0 {
		return fmt.Errorf("devchain: the chain in DEVCHAIN_DATA_DIR=%s has no test USDT at %s: remove the folder to start a new chain (make reset)",
			dataDir, erc20.DevTokenAddress)
	}
	return nil
}

// deployToken deploys the test USDT from account 0 at nonce 0 and mines it in block 1.
func (c *Chain) deployToken(ctx context.Context, holders []common.Address) error {
	key, _, err := hdwallet.DevAccount(0)
	if err != nil {
		return fmt.Errorf("deployer key: %w", err)
	}
	client := ethclient.NewClient(c.stack.Attach())
	defer client.Close()

	opts := bind.NewKeyedTransactor(key, c.chainID)
	opts.Context = ctx
	opts.Nonce = new(big.Int) // nonce 0 is what makes the address well known
	addr, tx, err := erc20.Deploy(opts, client, holders, TokenAmountEach(c.ChainID()), TokenDecimals(c.ChainID()))
	if err != nil {
		return fmt.Errorf("devchain deploy token: %w", err)
	}
	if addr != common.HexToAddress(erc20.DevTokenAddress) {
		return fmt.Errorf("devchain token deployed at %s, want %s", addr, erc20.DevTokenAddress)
	}
	if err := c.Mine(1); err != nil {
		return fmt.Errorf("devchain mine token deployment: %w", err)
	}
	receipt, err := client.TransactionReceipt(ctx, tx.Hash())
	if err != nil {
		return fmt.Errorf("devchain token deployment receipt %s: %w", tx.Hash(), err)
	}
	if receipt.Status != types.ReceiptStatusSuccessful || receipt.BlockNumber.Uint64() != 1 {
		return fmt.Errorf("devchain token deployment %s: status %d in block %s", tx.Hash(), receipt.Status, receipt.BlockNumber)
	}
	c.log.Debug().Str("tx_hash", tx.Hash().Hex()).Str("token", addr.Hex()).Msg("test USDT deployed")
	return nil
}

// produce runs interval mining with the configured period until Close; anvil_setIntervalMining
// changes the period at run time.
func (c *Chain) produce(period time.Duration) {
	defer close(c.done)
	c.intervalMu.Lock()
	if c.intervalLoop {
		// anvil_setIntervalMining, called right after the start, already runs the loop.
		c.intervalMu.Unlock()
		<-c.stop
		return
	}
	c.intervalLoop = true
	c.intervalPeriod = period
	c.intervalMu.Unlock()
	c.mineOnInterval()
}

// HTTPURL returns the URL the JSON-RPC over HTTP server listens on.
func (c *Chain) HTTPURL() string {
	return c.stack.HTTPEndpoint()
}

// WSURL returns the URL the JSON-RPC over WebSocket server listens on.
func (c *Chain) WSURL() string {
	return c.stack.WSEndpoint()
}

// Mine seals n blocks with the pending transactions.
func (c *Chain) Mine(n int) error {
	if n < 0 {
		return fmt.Errorf("mine %d blocks: negative count", n)
	}
	return c.whileOpen(func() error { return c.mineLocked(n) })
}

// whileOpen runs f holding mu, or returns ErrClosed once the chain is closed.
func (c *Chain) whileOpen(f func() error) error {
	_, err := resultWhileOpen(c, func() (struct{}, error) { return struct{}{}, f() })
	return err
}

// resultWhileOpen is whileOpen for an f with a result, which is zero when the chain is closed.
func resultWhileOpen[T any](c *Chain, f func() (T, error)) (T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		var zero T
		return zero, ErrClosed
	}
	return f()
}

// mineLocked seals n blocks (sealLocked, mining.go); the caller holds mu. The head is checked as well,
// so that a block that did not become the head is an error.
func (c *Chain) mineLocked(n int) error {
	chain := c.backend.BlockChain()
	for range n {
		before := chain.CurrentBlock().Number.Uint64()
		if err := c.sealLocked(); err != nil {
			return fmt.Errorf("seal block %d: %w", before+1, err)
		}
		if after := chain.CurrentBlock().Number.Uint64(); after != before+1 {
			return fmt.Errorf("seal block %d: head is at %d", before+1, after)
		}
	}
	return nil
}

// Reorg replaces the last depth blocks with as many new empty ones. The transactions of the removed
// blocks are dropped for good; transactions that were pending before the reorg stay pending. Block 1
// (the token deployment) and genesis are never replaced.
func (c *Chain) Reorg(depth int) error {
	return c.whileOpen(func() error { return c.reorgLocked(depth) })
}

// reorgLocked is Reorg; the caller holds mu.
func (c *Chain) reorgLocked(depth int) error {
	chain := c.backend.BlockChain()
	head := chain.CurrentBlock()
	headNum := head.Number.Uint64()
	if depth < 1 {
		return fmt.Errorf("reorg depth %d: must be at least 1", depth)
	}
	if uint64(depth) >= headNum {
		return fmt.Errorf("reorg depth %d at head %d: would replace block 1 (token deployment) or genesis", depth, headNum)
	}
	ancestorNum := headNum - uint64(depth)
	ancestor := chain.GetBlockByNumber(ancestorNum)
	if ancestor == nil {
		return fmt.Errorf("reorg depth %d: block %d not found", depth, ancestorNum)
	}
	removed := make(map[common.Hash]bool)
	for n := ancestorNum + 1; n <= headNum; n++ {
		b := chain.GetBlockByNumber(n)
		if b == nil {
			return fmt.Errorf("reorg depth %d: block %d not found", depth, n)
		}
		for _, tx := range b.Transactions() {
			removed[tx.Hash()] = true
		}
	}

	// The pool must be empty for the fork, and it re-injects the removed blocks' transactions when it
	// sees the reorg: drain it before the fork and before every replacement block, keeping only what
	// was pending apart from the removed transactions, and put that back whatever happens.
	var keep txSet
	err := c.replaceBlocks(ancestor, depth, removed, &keep)
	c.readd(keep.txs)
	if err != nil {
		return err
	}
	newHead := chain.CurrentBlock()
	c.log.Info().Int("depth", depth).Uint64("head", newHead.Number.Uint64()).
		Str("old_head_hash", head.Hash().Hex()).Str("new_head_hash", newHead.Hash().Hex()).
		Int("removed_txs", len(removed)).Msg("devchain reorg")
	return nil
}

// replaceBlocks makes ancestor the head and seals depth empty blocks on it, collecting into keep the
// pool's transactions that are not in removed. The caller holds mu.
func (c *Chain) replaceBlocks(ancestor *types.Block, depth int, removed map[common.Hash]bool, keep *txSet) error {
	chain := c.backend.BlockChain()
	// A transaction sent between draining and forking makes the fork refuse ("pending block dirty"):
	// drain again and retry a few times.
	var err error
	for range 3 {
		keep.add(c.drainPool(), removed)
		if err = c.beacon.Fork(ancestor.Hash()); err == nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("reorg to block %d %s: %w", ancestor.NumberU64(), ancestor.Hash(), err)
	}
	// Fork sets the ancestor canonical at once (SetCanonical), before any new block exists.
	if cur := chain.CurrentBlock(); cur.Hash() != ancestor.Hash() {
		return fmt.Errorf("reorg to block %d %s: head is %d %s", ancestor.NumberU64(), ancestor.Hash(), cur.Number, cur.Hash())
	}
	for i := range depth {
		num := ancestor.NumberU64() + uint64(i) + 1
		keep.add(c.drainPool(), removed)
		if err := c.mineLocked(1); err != nil {
			return fmt.Errorf("reorg replacement block %d: %w", num, err)
		}
		block := chain.GetBlockByNumber(num)
		if block == nil {
			return fmt.Errorf("reorg replacement block %d not found", num)
		}
		for _, tx := range block.Transactions() {
			if removed[tx.Hash()] {
				return fmt.Errorf("reorg replacement block %d contains removed transaction %s", num, tx.Hash())
			}
		}
	}
	return nil
}

// DropTransaction removes the transaction hash from the pool and reports whether it was there.
func (c *Chain) DropTransaction(hash common.Hash) (bool, error) {
	return resultWhileOpen(c, func() (bool, error) { return c.dropTransactionLocked(hash) })
}

// dropTransactionLocked is DropTransaction; the caller holds mu.
func (c *Chain) dropTransactionLocked(hash common.Hash) (bool, error) {
	pool := c.backend.TxPool()
	if err := pool.Sync(); err != nil {
		return false, fmt.Errorf("drop transaction %s: sync pool: %w", hash, err)
	}
	if !pool.Has(hash) {
		return false, nil
	}
	var keep txSet
	keep.add(c.drainPool(), map[common.Hash]bool{hash: true})
	c.readd(keep.txs)
	c.log.Info().Str("tx_hash", hash.Hex()).Msg("devchain dropped transaction")
	return true, nil
}

// drainPool empties the transaction pool and returns what it held, pending then queued, each sender's
// transactions in nonce order. The caller holds mu.
func (c *Chain) drainPool() []*types.Transaction {
	pool := c.backend.TxPool()
	// Sync first so that any reset in flight (which may re-inject transactions) has finished.
	if err := pool.Sync(); err != nil {
		c.log.Warn().Err(err).Msg("devchain sync pool")
	}
	pending, queued := pool.Content()
	var txs []*types.Transaction
	for _, set := range []map[common.Address][]*types.Transaction{pending, queued} {
		for _, list := range set {
			txs = append(txs, list...)
		}
	}
	pool.Clear()
	return txs
}

// readd puts transactions back into the pool; one that no longer fits (its nonce was used meanwhile)
// is dropped.
func (c *Chain) readd(txs []*types.Transaction) {
	if len(txs) == 0 {
		return
	}
	for i, err := range c.backend.TxPool().Add(txs, true) {
		if err != nil {
			c.log.Debug().Err(err).Str("tx_hash", txs[i].Hash().Hex()).Msg("devchain transaction not re-added")
		}
	}
}

// Close stops block production and shuts the node down. It is safe to call more than once.
func (c *Chain) Close() error {
	c.closeOnce.Do(func() {
		close(c.stop)
		<-c.done
		c.closeErr = c.shutdown()
		if c.closeErr == nil {
			c.log.Info().Msg("devchain stopped")
		}
	})
	return c.closeErr
}

// shutdown marks the chain closed, then stops the beacon and the node. mu is not held while the node
// stops, because in-flight RPC calls may be waiting for it.
func (c *Chain) shutdown() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	var err error
	if c.beacon != nil {
		err = c.beacon.Stop()
	}
	if err = errors.Join(err, c.stack.Close()); err != nil || c.runningFile == "" {
		return err
	}
	// The node has stopped and written the state: the next start may continue the chain.
	if err := os.Remove(c.runningFile); err != nil {
		return fmt.Errorf("devchain: mark the chain stopped: %w", err)
	}
	return nil
}

// txSet collects transactions once each, in the order first seen.
type txSet struct {
	seen map[common.Hash]bool
	txs  []*types.Transaction
}

// add appends the transactions of txs that are neither already in the set nor in skip.
func (s *txSet) add(txs []*types.Transaction, skip map[common.Hash]bool) {
	if s.seen == nil {
		s.seen = make(map[common.Hash]bool)
	}
	for _, tx := range txs {
		h := tx.Hash()
		if skip[h] || s.seen[h] {
			continue
		}
		s.seen[h] = true
		s.txs = append(s.txs, tx)
	}
}
