package txsender

import (
	"context"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"gorm.io/gorm"

	"paysuite/pkg/money"
)

// ReservedCost is the most the node may still debit from `from` on the
// sender's chain for sends that are not mined yet (their MaxCost): what a
// balance check must set aside.
func (s *Sender) ReservedCost(tx *gorm.DB, from common.Address) (*big.Int, error) {
	var sum string
	err := tx.Raw("SELECT CAST(COALESCE(SUM(max_cost), 0) AS CHAR) FROM tx_sends WHERE chain_id = ? AND from_address = ? AND state IN ?",
		s.chain, addrString(from), UnminedStates()).Scan(&sum).Error
	if err != nil {
		return nil, fmt.Errorf("reserved cost of %s: %w", from.Hex(), err)
	}
	return money.Units(sum), nil
}

// FreeCoin is addr's balance of the chain's coin minus what its unmined
// sends may still cost. The reservation is read first, so that a send mined
// between the two reads is counted twice (safe) rather than not at all.
func (s *Sender) FreeCoin(ctx context.Context, tx *gorm.DB, addr common.Address) (*big.Int, error) {
	reserved, err := s.ReservedCost(tx, addr)
	if err != nil {
		return nil, err
	}
	bal, err := s.node.BalanceAt(ctx, addr, nil)
	if err != nil {
		return nil, fmt.Errorf("coin balance of %s: %w", addr.Hex(), err)
	}
	return bal.Sub(bal, reserved), nil
}

// NextNonce reads, without locking it, the nonce the sender will hand out next
// for from on its chain: every send from `from` with a lower nonce was
// committed before it. It is 0 when from has no nonce row yet.
func (s *Sender) NextNonce(tx *gorm.DB, from common.Address) (uint64, error) {
	var rows []nonceRow
	if err := tx.Where("chain_id = ? AND address = ?", s.chain, addrString(from)).Find(&rows).Error; err != nil {
		return 0, fmt.Errorf("next nonce of %s: %w", from.Hex(), err)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	return rows[0].NextNonce, nil
}

// RefusedForFunds lists the unmined sends on the sender's chain whose last
// broadcast the node refused for lack of coin (see Send.RefusedForFunds).
func (s *Sender) RefusedForFunds(tx *gorm.DB) ([]Send, error) {
	var sends []Send
	err := tx.Where("chain_id = ? AND state IN ? AND LOWER(last_error) LIKE ?", s.chain, UnminedStates(), "%insufficient funds%").
		Order("id").Find(&sends).Error
	if err != nil {
		return nil, fmt.Errorf("sends refused for funds: %w", err)
	}
	return sends, nil
}

// Incoming counts the sends on the sender's chain to `to` of any of purposes
// that are not final: coin on its way to the address.
func (s *Sender) Incoming(tx *gorm.DB, to common.Address, purposes ...string) (int64, error) {
	var n int64
	err := tx.Model(&Send{}).Where("chain_id = ? AND to_address = ? AND purpose IN ? AND state IN ?",
		s.chain, addrString(to), purposes, activeStates()).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("sends to %s: %w", to.Hex(), err)
	}
	return n, nil
}
