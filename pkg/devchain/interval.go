package devchain

import (
	"errors"
	"time"
)

// MaxIntervalMining bounds anvil_setIntervalMining so that a typo (milliseconds for seconds) does not
// silently stop block production for days.
const MaxIntervalMining = 24 * time.Hour

// setIntervalPeriod makes interval mining seal a block every period from now on; 0 stops it. The
// first call with a period starts the mining loop, which then runs until Close. Once it returns, no
// block of the old period is sealed any more.
func (c *Chain) setIntervalPeriod(period time.Duration) error {
	if err := c.storeIntervalPeriod(period); err != nil {
		return err
	}
	// A block of the old period may be sealing right now: wait for it. One about to start sees the
	// new generation and does not seal (mineIntervalBlock).
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	return nil
}

// storeIntervalPeriod records the period, wakes the loop and starts it if needed.
func (c *Chain) storeIntervalPeriod(period time.Duration) error {
	c.intervalMu.Lock()
	defer c.intervalMu.Unlock()
	select {
	case <-c.stop:
		return ErrClosed
	default:
	}
	c.intervalPeriod = period
	c.intervalGen++
	if c.intervalWake == nil {
		c.intervalWake = make(chan struct{}, 1)
	}
	select {
	case c.intervalWake <- struct{}{}:
	default: // a wake-up is already pending; the loop reads the period when it takes it
	}
	if !c.intervalLoop && period > 0 {
		c.intervalLoop = true
		go c.mineOnInterval()
	}
	return nil
}

// intervalSettings returns the current interval period, its generation (which every change moves
// on) and the channel that signals changes.
func (c *Chain) intervalSettings() (time.Duration, uint64, <-chan struct{}) {
	c.intervalMu.Lock()
	defer c.intervalMu.Unlock()
	if c.intervalWake == nil {
		c.intervalWake = make(chan struct{}, 1)
	}
	return c.intervalPeriod, c.intervalGen, c.intervalWake
}

// mineIntervalBlock seals a block unless the period of generation gen has been replaced since.
func (c *Chain) mineIntervalBlock(gen uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	if _, current, _ := c.intervalSettings(); current != gen {
		return nil
	}
	return c.mineLocked(1)
}

// mineOnInterval seals a block every interval period, following changes of the period, until Close.
// A period of 0 pauses it.
func (c *Chain) mineOnInterval() {
	period, gen, wake := c.intervalSettings()
	for {
		var tick <-chan time.Time
		var ticker *time.Ticker
		if period > 0 {
			ticker = time.NewTicker(period)
			tick = ticker.C
		}
		changed := false
		for !changed {
			select {
			case <-c.stop:
				if ticker != nil {
					ticker.Stop()
				}
				return
			case <-wake:
				changed = true
			case <-tick:
				if err := c.mineIntervalBlock(gen); err != nil && !errors.Is(err, ErrClosed) {
					c.log.Warn().Err(err).Msg("devchain interval block")
				}
			}
		}
		if ticker != nil {
			ticker.Stop()
		}
		period, gen, _ = c.intervalSettings()
	}
}
