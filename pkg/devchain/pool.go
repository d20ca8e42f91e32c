package devchain

import (
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// DropAllTransactions empties the transaction pool and returns how many transactions it removed
// (anvil_dropAllTransactions).
func (c *Chain) DropAllTransactions() (int, error) {
	return resultWhileOpen(c, func() (int, error) {
		n := len(c.drainPool())
		c.log.Info().Int("txs", n).Msg("devchain dropped all transactions")
		return n, nil
	})
}

// RemovePoolTransactions removes every transaction of sender from the pool and returns how many it
// removed (anvil_removePoolTransactions).
func (c *Chain) RemovePoolTransactions(sender common.Address) (int, error) {
	return resultWhileOpen(c, func() (int, error) { return c.removePoolTransactionsLocked(sender), nil })
}

// removePoolTransactionsLocked is RemovePoolTransactions; the caller holds mu.
func (c *Chain) removePoolTransactionsLocked(sender common.Address) int {
	signer := types.LatestSignerForChainID(c.chainID)
	var keep []*types.Transaction
	removed := 0
	for _, tx := range c.drainPool() {
		if from, err := types.Sender(signer, tx); err == nil && from == sender {
			removed++
			continue
		}
		keep = append(keep, tx)
	}
	c.readd(keep)
	c.log.Info().Str("sender", sender.Hex()).Int("txs", removed).Msg("devchain removed pool transactions")
	return removed
}

// SetCoinbase makes addr the fee recipient of the following blocks (anvil_setCoinbase).
func (c *Chain) SetCoinbase(addr common.Address) error {
	return c.whileOpen(func() error {
		c.coinbase = addr
		return nil
	})
}

// SetBlockTimestampInterval stamps every following block exactly seconds after its parent,
// regardless of the wall clock, until RemoveBlockTimestampInterval (anvil_setBlockTimestampInterval).
// A timestamp set with SetNextBlockTimestamp still takes precedence for its block.
func (c *Chain) SetBlockTimestampInterval(seconds uint64) error {
	if seconds == 0 || seconds > maxTimeOffset {
		return fmt.Errorf("block timestamp interval %d: between 1 and %d seconds", seconds, int64(maxTimeOffset))
	}
	return c.whileOpen(func() error {
		c.blockInterval = seconds
		return nil
	})
}

// RemoveBlockTimestampInterval goes back to stamping blocks by the clock and reports whether an
// interval was set (anvil_removeBlockTimestampInterval).
func (c *Chain) RemoveBlockTimestampInterval() (bool, error) {
	return resultWhileOpen(c, func() (bool, error) {
		was := c.blockInterval != 0
		c.blockInterval = 0
		if was {
			// The clock goes on from the last block stamped by the interval.
			c.timeOffset = int64(c.backend.BlockChain().CurrentBlock().Time) - time.Now().Unix()
		}
		return was, nil
	})
}
