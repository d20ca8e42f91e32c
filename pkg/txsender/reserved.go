package txsender

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"gorm.io/gorm"
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
	return bigString(sum), nil
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

// ReservedCostBelow is ReservedCost counting only the sends with a nonce
// lower than nonce.
func (s *Sender) ReservedCostBelow(tx *gorm.DB, from common.Address, nonce uint64) (*big.Int, error) {
	var sum string
	err := tx.Raw("SELECT CAST(COALESCE(SUM(max_cost), 0) AS CHAR) FROM tx_sends WHERE chain_id = ? AND from_address = ? AND nonce < ? AND state IN ?",
		s.chain, addrString(from), nonce, UnminedStates()).Scan(&sum).Error
	if err != nil {
		return nil, fmt.Errorf("reserved cost of %s: %w", from.Hex(), err)
	}
	return bigString(sum), nil
}
