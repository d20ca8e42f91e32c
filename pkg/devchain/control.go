package devchain

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus/misc/eip1559"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/event"
	"github.com/ethereum/go-ethereum/params"

	"paysuite/pkg/hdwallet"
)

// devAccounts returns the addresses of the funded development accounts, in derivation order.
func devAccounts() ([]common.Address, error) {
	addrs := make([]common.Address, FundedAccounts)
	for i := range addrs {
		_, addr, err := hdwallet.DevAccount(i)
		if err != nil {
			return nil, fmt.Errorf("development account %d: %w", i, err)
		}
		addrs[i] = addr
	}
	return addrs, nil
}

// snapshot is a block the chain can be reverted to, with the clock's offset at that time.
type snapshot struct {
	id         uint64
	block      *types.Header
	timeOffset int64
}

// controls holds the state of the control methods that outlives one call: the snapshots taken so
// far and the automine loop. It is guarded by the chain's mu.
type controls struct {
	chain     *Chain
	snapshots []snapshot // in id order
	lastID    uint64     // the last id handed out
	// automineStop, when not nil, stops the running automine loop.
	automineStop chan struct{}
}

// Snapshot records the current head and returns its id.
func (ctl *controls) Snapshot() (uint64, error) {
	c := ctl.chain
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, ErrClosed
	}
	ctl.lastID++ // ids start at 1, as Hardhat's
	id := ctl.lastID
	ctl.snapshots = append(ctl.snapshots, snapshot{id: id, block: c.backend.BlockChain().CurrentBlock(), timeOffset: c.timeOffset})
	return id, nil
}

// Revert rewinds the chain head to the block of snapshot id and reports whether the snapshot
// existed. The snapshot and every later one are used up. The transactions of the removed blocks are
// dropped; transactions pending before the revert stay pending. The clock's offset goes back to what
// it was at the snapshot, undoing evm_increaseTime calls made since.
func (ctl *controls) Revert(id uint64) (bool, error) {
	c := ctl.chain
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false, ErrClosed
	}
	at := -1
	for i, s := range ctl.snapshots {
		if s.id == id {
			at = i
			break
		}
	}
	if at < 0 {
		return false, nil
	}
	target, offset := ctl.snapshots[at].block, ctl.snapshots[at].timeOffset
	ctl.snapshots = ctl.snapshots[:at]

	chain := c.backend.BlockChain()
	head := chain.CurrentBlock()
	removed := make(map[common.Hash]bool)
	for n := target.Number.Uint64() + 1; n <= head.Number.Uint64(); n++ {
		if b := chain.GetBlockByNumber(n); b != nil {
			for _, tx := range b.Transactions() {
				removed[tx.Hash()] = true
			}
		}
	}
	var keep txSet
	err := ctl.rewind(target, removed, &keep)
	c.readd(keep.txs)
	if err != nil {
		return false, err
	}
	c.timeOffset, c.nextTimestamp = offset, 0
	c.log.Info().Uint64("snapshot", id).Uint64("head", target.Number.Uint64()).
		Str("old_head_hash", head.Hash().Hex()).Int("removed_txs", len(removed)).Msg("devchain reverted to snapshot")
	return true, nil
}

// rewind makes target the head, collecting into keep the pool's transactions that are not in removed.
// The caller holds mu.
func (ctl *controls) rewind(target *types.Header, removed map[common.Hash]bool, keep *txSet) error {
	c := ctl.chain
	// Fork refuses while the pool has pending transactions, and one may arrive between draining and
	// forking: drain again and retry a few times.
	var err error
	for range 3 {
		keep.add(c.drainPool(), removed)
		if err = c.beacon.Fork(target.Hash()); err == nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("revert to block %d %s: %w", target.Number, target.Hash(), err)
	}
	// The pool re-injects the removed blocks' transactions when it sees the new head: drain once more.
	keep.add(c.drainPool(), removed)
	if cur := c.backend.BlockChain().CurrentBlock(); cur.Hash() != target.Hash() {
		return fmt.Errorf("revert to block %d %s: head is %d %s", target.Number, target.Hash(), cur.Number, cur.Hash())
	}
	return nil
}

// errBalanceDecrease is returned when lowering the balance of an account whose key the chain does
// not hold.
var errBalanceDecrease = errors.New("lowering the balance is supported for development accounts only")

// SetBalance makes wei the ether balance of addr. go-ethereum changes state only through blocks, so
// unlike Anvil this mines one block, which also takes whatever else is pending. A raise is a
// withdrawal (a balance credit without a transaction, as the consensus layer pays stakers) of the
// whole gwei, plus for the wei below one gwei a transfer from development account 0 (account 1 when
// addr is account 0). A cut is a transfer from addr itself to that account, so it needs addr to be
// a development account.
func (ctl *controls) SetBalance(addr common.Address, wei *big.Int) error {
	if wei.Sign() < 0 {
		return fmt.Errorf("set balance of %s to %s: negative", addr, wei)
	}
	c := ctl.chain
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	chain := c.backend.BlockChain()
	state, err := chain.State()
	if err != nil {
		return fmt.Errorf("set balance of %s: head state: %w", addr, err)
	}
	current := state.GetBalance(addr).ToBig()
	diff := new(big.Int).Sub(wei, current)
	if diff.Sign() == 0 {
		return nil
	}
	accounts, err := devAccounts()
	if err != nil {
		return err
	}
	funder := 0
	if addr == accounts[0] {
		funder = 1
	}
	head := chain.CurrentBlock()
	gasPrice := new(big.Int).Add(eip1559.CalcBaseFee(chain.Config(), head), big.NewInt(params.GWei))

	// A withdrawal queued by a call that then fails must not credit the next block.
	queued := len(c.withdrawals)
	var tx *types.Transaction
	if diff.Sign() > 0 {
		rest := diff
		if chain.Config().IsShanghai(head.Number, head.Time) {
			var gwei *big.Int
			gwei, rest = new(big.Int).QuoRem(diff, big.NewInt(params.GWei), new(big.Int))
			if !gwei.IsUint64() {
				return fmt.Errorf("set balance of %s to %s: raise too large", addr, wei)
			}
			if gwei.Sign() > 0 {
				c.queueWithdrawalLocked(addr, gwei.Uint64())
			}
		}
		if rest.Sign() > 0 {
			gas := params.TxGas
			if len(state.GetCode(addr)) != 0 {
				gas = 200_000 // room for a receiving contract's fallback; unused gas is refunded
			}
			tx, err = ctl.addTransfer(funder, addr, rest, gas, gasPrice)
		}
	} else {
		from := slices.Index(accounts, addr)
		if from < 0 {
			return fmt.Errorf("set balance of %s to %s: %w", addr, wei, errBalanceDecrease)
		}
		// A legacy transaction pays its whole gas price, so value plus gas*gasPrice is exactly what
		// the sender loses.
		fee := new(big.Int).Mul(big.NewInt(int64(params.TxGas)), gasPrice)
		value := new(big.Int).Sub(new(big.Int).Neg(diff), fee)
		if value.Sign() < 0 {
			return fmt.Errorf("set balance of %s to %s: within the transfer fee %s of the current %s", addr, wei, fee, current)
		}
		tx, err = ctl.addTransfer(from, accounts[funder], value, params.TxGas, gasPrice)
	}
	if err != nil {
		c.withdrawals = c.withdrawals[:queued]
		return fmt.Errorf("set balance of %s to %s: %w", addr, wei, err)
	}
	if err := c.mineLocked(1); err != nil {
		return fmt.Errorf("set balance of %s to %s: %w", addr, wei, err)
	}
	head = chain.CurrentBlock()
	if tx != nil {
		if block := chain.GetBlock(head.Hash(), head.Number.Uint64()); block == nil || block.Transaction(tx.Hash()) == nil {
			return fmt.Errorf("set balance of %s to %s: transfer %s not in block %d", addr, wei, tx.Hash(), head.Number)
		}
	}
	if state, err = chain.State(); err != nil {
		return fmt.Errorf("set balance of %s: head state: %w", addr, err)
	}
	if got := state.GetBalance(addr).ToBig(); got.Cmp(wei) != 0 {
		return fmt.Errorf("set balance of %s to %s: balance is %s after block %d", addr, wei, got, head.Number)
	}
	c.log.Info().Str("address", addr.Hex()).Str("wei", wei.String()).Msg("devchain set balance")
	return nil
}

// addTransfer signs a transfer of value from development account from to to and adds it to the pool.
// The caller holds mu.
func (ctl *controls) addTransfer(from int, to common.Address, value *big.Int, gas uint64, gasPrice *big.Int) (*types.Transaction, error) {
	key, sender, err := hdwallet.DevAccount(from)
	if err != nil {
		return nil, fmt.Errorf("development account %d: %w", from, err)
	}
	pool := ctl.chain.backend.TxPool()
	tx, err := types.SignNewTx(key, types.LatestSignerForChainID(ctl.chain.chainID), &types.LegacyTx{
		Nonce: pool.PoolNonce(sender), GasPrice: gasPrice, Gas: gas, To: &to, Value: value,
	})
	if err != nil {
		return nil, fmt.Errorf("sign transfer: %w", err)
	}
	if err := pool.Add([]*types.Transaction{tx}, true)[0]; err != nil {
		return nil, fmt.Errorf("add transfer %s: %w", tx.Hash(), err)
	}
	return tx, nil
}

// SetAutomine turns automatic mining on or off: while on, every transaction entering the pool is
// mined at once. As in Anvil, the mining modes exclude each other: turning automine on stops interval
// mining, and turning it off leaves the chain mining on demand only (or on interval, if that was
// set since).
func (ctl *controls) SetAutomine(on bool) error {
	if on {
		if err := ctl.chain.setIntervalPeriod(0); err != nil {
			return err
		}
	}
	return ctl.setAutomine(on)
}

// Automine reports whether automatic mining is on.
func (ctl *controls) Automine() (bool, error) {
	c := ctl.chain
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false, ErrClosed
	}
	return ctl.automineStop != nil, nil
}

// SetIntervalMining makes the chain seal a block every period (whole seconds in the RPC method), or
// stops interval mining when period is 0. A period turns automine off, as in Anvil.
func (ctl *controls) SetIntervalMining(period time.Duration) error {
	if period < 0 || period > MaxIntervalMining {
		return fmt.Errorf("interval mining every %s: must be between 0 (off) and %s", period, MaxIntervalMining)
	}
	if period > 0 {
		if err := ctl.setAutomine(false); err != nil {
			return err
		}
	}
	if err := ctl.chain.setIntervalPeriod(period); err != nil {
		return err
	}
	ctl.chain.log.Info().Dur("period", period).Msg("devchain interval mining")
	return nil
}

// setAutomine starts or stops the automine loop.
func (ctl *controls) setAutomine(on bool) error {
	c := ctl.chain
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	if on == (ctl.automineStop != nil) {
		return nil
	}
	if !on {
		close(ctl.automineStop)
		ctl.automineStop = nil
		c.log.Info().Bool("automine", on).Msg("devchain automine")
		return nil
	}
	stop := make(chan struct{})
	ctl.automineStop = stop
	txs := make(chan core.NewTxsEvent, 16)
	// The subscription ends when the node closes the pool, which ends the loop with the chain.
	sub := c.backend.TxPool().SubscribeTransactions(txs, true)
	go ctl.automine(stop, txs, sub)
	c.log.Info().Bool("automine", on).Msg("devchain automine")
	return nil
}

// automine mines a block whenever transactions arrive, until stop is closed or the pool closes.
func (ctl *controls) automine(stop <-chan struct{}, txs <-chan core.NewTxsEvent, sub event.Subscription) {
	defer sub.Unsubscribe()
	c := ctl.chain
	for {
		select {
		case <-stop:
			return
		case <-sub.Err():
			return
		case <-txs:
			// Control methods that add and mine a transaction themselves leave nothing pending.
			if pending, _ := c.backend.TxPool().Stats(); pending == 0 {
				continue
			}
			if err := c.Mine(1); err != nil {
				if errors.Is(err, ErrClosed) {
					return
				}
				c.log.Warn().Err(err).Msg("devchain automine block")
			}
		}
	}
}
