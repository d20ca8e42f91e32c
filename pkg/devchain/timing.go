package devchain

import (
	"fmt"
	"math"
	"time"
)

// The chain's clock stamps each new block with the wall clock plus an offset that evm_increaseTime
// moves forward, or exactly a fixed interval after its parent while anvil_setBlockTimestampInterval
// is in force, unless evm_setNextBlockTimestamp fixed the next block's timestamp. A block is always
// at least one second after its parent, as the protocol requires.

// maxTimeOffset bounds the clock's offset (about 31,000 years), far beyond any test and far from
// overflowing a timestamp.
const maxTimeOffset = 1 << 40

// nextTimestampLocked returns the timestamp of the block that comes after a parent stamped
// parentTime. The caller holds mu.
func (c *Chain) nextTimestampLocked(parentTime uint64) uint64 {
	switch {
	case c.nextTimestamp != 0:
		return max(c.nextTimestamp, parentTime+1)
	case c.blockInterval != 0:
		return parentTime + c.blockInterval
	default:
		return max(uint64(max(time.Now().Unix()+c.timeOffset, 0)), parentTime+1)
	}
}

// sealedAtLocked records that a block stamped ts was sealed. A timestamp set with
// SetNextBlockTimestamp is used once; the clock then goes on from it, as in Anvil. The caller holds
// mu.
func (c *Chain) sealedAtLocked(ts uint64) {
	if c.nextTimestamp == 0 {
		return
	}
	c.nextTimestamp = 0
	c.timeOffset = int64(ts) - time.Now().Unix()
}

// IncreaseTime moves the clock forward by seconds for every following block and returns the total
// offset from the wall clock, in seconds.
func (c *Chain) IncreaseTime(seconds uint64) (int64, error) {
	return resultWhileOpen(c, func() (int64, error) {
		if err := c.increaseTimeLocked(seconds); err != nil {
			return 0, err
		}
		return c.timeOffset, nil
	})
}

// increaseTimeLocked adds seconds to the clock's offset. The caller holds mu.
func (c *Chain) increaseTimeLocked(seconds uint64) error {
	if seconds > maxTimeOffset || c.timeOffset+int64(seconds) > maxTimeOffset {
		return fmt.Errorf("increase time by %d s: the clock may run at most %d s ahead", seconds, int64(maxTimeOffset))
	}
	c.timeOffset += int64(seconds)
	return nil
}

// SetNextBlockTimestamp makes ts (Unix seconds) the timestamp of the next block; later blocks go on
// from it. ts must be after the head's timestamp.
func (c *Chain) SetNextBlockTimestamp(ts uint64) error {
	return c.whileOpen(func() error { return c.setNextBlockTimestampLocked(ts) })
}

// setNextBlockTimestampLocked checks ts against the head and records it. The caller holds mu.
func (c *Chain) setNextBlockTimestampLocked(ts uint64) error {
	head := c.backend.BlockChain().CurrentBlock()
	if ts <= head.Time {
		return fmt.Errorf("next block timestamp %d: must be after the head block %d's timestamp %d", ts, head.Number, head.Time)
	}
	if ts > math.MaxInt64 || int64(ts)-time.Now().Unix() > maxTimeOffset {
		return fmt.Errorf("next block timestamp %d: at most %d s ahead of the wall clock", ts, int64(maxTimeOffset))
	}
	c.nextTimestamp = ts
	return nil
}

// MineAt seals a block stamped ts (Unix seconds), which must be after the head's timestamp; later
// blocks go on from it.
func (c *Chain) MineAt(ts uint64) error {
	return c.whileOpen(func() error { return c.mineAtLocked(ts) })
}

// mineAtLocked is MineAt; the caller holds mu.
func (c *Chain) mineAtLocked(ts uint64) error {
	if err := c.setNextBlockTimestampLocked(ts); err != nil {
		return err
	}
	if err := c.mineLocked(1); err != nil {
		c.nextTimestamp = 0
		return err
	}
	return nil
}

// MineWithInterval seals n blocks interval seconds apart (anvil_mine's second parameter): as in
// Anvil the clock first moves forward by interval, then each further block is stamped exactly
// interval seconds after the one before, and the clock goes on from the last.
func (c *Chain) MineWithInterval(n int, interval uint64) error {
	if n < 0 {
		return fmt.Errorf("mine %d blocks: negative count", n)
	}
	return c.whileOpen(func() error { return c.mineWithIntervalLocked(n, interval) })
}

// mineWithIntervalLocked is MineWithInterval; the caller holds mu.
func (c *Chain) mineWithIntervalLocked(n int, interval uint64) error {
	if n == 0 || interval == 0 {
		return c.mineLocked(n)
	}
	if err := c.increaseTimeLocked(interval); err != nil {
		return err
	}
	if err := c.mineLocked(1); err != nil {
		return err
	}
	for range n - 1 {
		if err := c.mineAtLocked(c.backend.BlockChain().CurrentBlock().Time + interval); err != nil {
			return err
		}
	}
	return nil
}
