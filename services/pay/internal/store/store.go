// Package store persists pay's requests and the deposit addresses it can sign
// for, in its own schema next to the transaction sender's tables and the outbox.
package store

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"paysuite/pkg/db"
	"paysuite/pkg/depositaddr"
	"paysuite/pkg/request"
	"paysuite/pkg/txsender"
)

// DepositAddress is a deposit address topup allocated, with its HD index:
// pay signs for it with the key of that index.
type DepositAddress = depositaddr.Address

// FindAddress returns the deposit address row, or nil.
func FindAddress(tx *gorm.DB, chain string, addr common.Address) (*DepositAddress, error) {
	return findAddress(tx, chain, addr, false)
}

// LockAddress returns the deposit address row locked for update, or nil:
// decisions to pay from one address are taken one at a time.
func LockAddress(tx *gorm.DB, chain string, addr common.Address) (*DepositAddress, error) {
	return findAddress(tx, chain, addr, true)
}

// FindAddressOnAnyChain returns a row of the deposit address on any chain,
// or nil: its index, and so its key, is the same on every chain.
func FindAddressOnAnyChain(tx *gorm.DB, addr common.Address) (*DepositAddress, error) {
	return findAddress(tx.Order("chain"), "", addr, false)
}

// findAddress finds addr on chain, or on any chain when chain is "".
func findAddress(tx *gorm.DB, chain string, addr common.Address, lock bool) (*DepositAddress, error) {
	var rows []DepositAddress
	q := tx.Where("address = ?", Lower(addr))
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if chain != "" {
		q = q.Where("chain = ?", chain)
	}
	if err := q.Limit(1).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("find deposit address %s: %w", addr.Hex(), err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// Payment states.
const (
	StateFunding = "funding" // the payer (a user address) is being sent ether for gas
	StateSending = "sending" // the token transfer is signed; the final answer is not known yet
	StateDone    = "done"    // the final answer is stored (FinalBody)
)

// Who paid, as the returns' paid_from says.
const (
	PaidFromUser = "user"
	PaidFromHot  = "hot_wallet"
)

// Payment is one pay request, keyed by request_id.
type Payment struct {
	request.Row
	OrderID     *string `gorm:"column:order_id"`
	UserAddress *string `gorm:"column:user_address"` // the request's from_address
	Payer       *string `gorm:"column:payer"`        // the address that pays
	PaidFrom    *string `gorm:"column:paid_from"`
	FundKey     *string `gorm:"column:fund_key"`
	FundRounds  int     `gorm:"column:fund_rounds"`
}

// TableName maps Payment to its table.
func (Payment) TableName() string { return "payments" }

// Find returns the payment of requestID, or nil.
func Find(tx *gorm.DB, requestID string) (*Payment, error) { return find(tx, requestID, false) }

// Lock returns the payment of requestID locked for update, or nil.
func Lock(tx *gorm.DB, requestID string) (*Payment, error) { return find(tx, requestID, true) }

func find(tx *gorm.DB, requestID string, lock bool) (*Payment, error) {
	p, err := db.FindOrNil[Payment](tx, lock, "request_id = ?", requestID)
	if err != nil {
		return nil, fmt.Errorf("find payment %s: %w", requestID, err)
	}
	return p, nil
}

// ReservedTokens sums the amounts of token that pay's open work on chain will
// still take from payer and that the chain's balance does not show yet:
// payments waiting for gas or whose transfer is not mined, and the legs of
// open sweeps not signed or not mined. (A token may have the same address on
// several chains, and so may the payer.)
func ReservedTokens(tx *gorm.DB, chain string, payer, token common.Address) (*big.Int, error) {
	unmined := txsender.UnminedStates()
	v, err := db.SumUnits(tx, `SELECT CAST(
		(SELECT COALESCE(SUM(p.amount_units), 0) FROM payments p
			LEFT JOIN tx_sends s ON s.send_key = p.send_key
			WHERE p.chain = ? AND p.payer = ? AND p.token = ? AND (p.state = ? OR (p.state = ? AND s.state IN ?)))
		+ (SELECT COALESCE(SUM(
				CASE WHEN c.state IS NULL OR c.state IN ? THEN w.collect_units ELSE 0 END +
				CASE WHEN d.state IS NULL OR d.state IN ? THEN w.cold_units ELSE 0 END), 0)
			FROM sweeps w
			LEFT JOIN tx_sends c ON c.send_key = w.collect_key
			LEFT JOIN tx_sends d ON d.send_key = w.cold_key
			WHERE w.chain = ? AND w.address = ? AND w.token = ? AND w.open_key IS NOT NULL)
		AS CHAR)`,
		chain, Lower(payer), Lower(token), StateFunding, StateSending, unmined,
		unmined, unmined, chain, Lower(payer), Lower(token))
	if err != nil {
		return nil, fmt.Errorf("reserved tokens of %s: %w", payer.Hex(), err)
	}
	return v, nil
}

// Lower is the stored form of an address.
func Lower(a common.Address) string { return strings.ToLower(a.Hex()) }
