package devchain

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/miner"
)

// maxWithdrawalsPerBlock is how many queued withdrawals one block takes, as the simulated beacon does.
const maxWithdrawalsPerBlock = 10

// finalityEpoch is how often a block becomes finalized: every 32nd block, as the simulated beacon
// marks them. The newest block is always "safe".
const finalityEpoch = 32

// sealLocked seals one block on the head with the pool's executable transactions and the queued
// withdrawals, at the timestamp the chain's clock gives (see nextTimestampLocked). The simulated
// beacon's Commit cannot be used here: it always stamps blocks with the wall clock. The block goes
// through the same steps as under the engine API: built by the miner, executed and verified on
// insertion, then made the head. The caller holds mu.
func (c *Chain) sealLocked() error {
	chain := c.backend.BlockChain()
	// A reset of the pool after the previous block may still be running: wait for it, so that the
	// new block sees the pool as it is now.
	if err := c.backend.TxPool().Sync(); err != nil {
		return fmt.Errorf("sync pool: %w", err)
	}
	parent := chain.CurrentBlock()
	number := new(big.Int).Add(parent.Number, big.NewInt(1))
	ts := c.nextTimestampLocked(parent.Time)

	args := &miner.BuildPayloadArgs{
		Parent:       parent.Hash(),
		Timestamp:    ts,
		FeeRecipient: c.coinbase,
		BeaconRoot:   &common.Hash{},
	}
	if _, err := rand.Read(args.Random[:]); err != nil {
		return fmt.Errorf("block randomness: %w", err)
	}
	config := chain.Config()
	var taken int
	if config.IsShanghai(number, ts) {
		taken = min(len(c.withdrawals), maxWithdrawalsPerBlock)
		args.Withdrawals = slices.Clone(c.withdrawals[:taken])
	}
	if config.IsAmsterdam(number, ts) {
		args.SlotNum = new(uint64)
	}
	block, _, err := c.backend.Miner().BuildTestingPayload(args, nil, false, nil)
	if err != nil {
		return fmt.Errorf("build block %d: %w", number, err)
	}
	if _, err := chain.InsertBlockWithoutSetHead(context.Background(), block, false); err != nil {
		return fmt.Errorf("insert block %d: %w", number, err)
	}
	if _, err := chain.SetCanonical(block); err != nil {
		return fmt.Errorf("make block %d the head: %w", number, err)
	}
	chain.SetSafe(block.Header())
	if final := chain.GetHeaderByNumber(block.NumberU64() / finalityEpoch * finalityEpoch); final != nil {
		chain.SetFinalized(final)
	}
	c.withdrawals = c.withdrawals[taken:]
	c.sealedAtLocked(ts)
	return nil
}

// queueWithdrawalLocked queues a credit of gwei to addr for the next block the chain seals. The
// caller holds mu.
func (c *Chain) queueWithdrawalLocked(addr common.Address, gwei uint64) {
	c.withdrawals = append(c.withdrawals, &types.Withdrawal{Index: c.nextWithdrawal, Address: addr, Amount: gwei})
	c.nextWithdrawal++
}
