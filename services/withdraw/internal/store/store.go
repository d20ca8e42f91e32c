// Package store persists withdraw's requests in its own schema, next to the
// transaction sender's tables and the outbox.
package store

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"gorm.io/gorm"

	"paysuite/pkg/db"
	"paysuite/pkg/request"
	"paysuite/pkg/txsender"
)

// Withdrawal states.
const (
	StateSending = "sending" // a transaction is signed; the final answer is not known yet
	StateDone    = "done"    // the final answer is stored (FinalBody)
)

// Withdrawal is one withdraw request, keyed by request_id.
type Withdrawal struct {
	request.Row
	FromAddress *string `gorm:"column:from_address"`
}

// TableName maps Withdrawal to its table.
func (Withdrawal) TableName() string { return "withdrawals" }

// Find returns the withdrawal of requestID, or nil.
func Find(tx *gorm.DB, requestID string) (*Withdrawal, error) {
	return find(tx, requestID, false)
}

// Lock returns the withdrawal of requestID locked for update, or nil.
func Lock(tx *gorm.DB, requestID string) (*Withdrawal, error) {
	return find(tx, requestID, true)
}

func find(tx *gorm.DB, requestID string, lock bool) (*Withdrawal, error) {
	w, err := db.FindOrNil[Withdrawal](tx, lock, "request_id = ?", requestID)
	if err != nil {
		return nil, fmt.Errorf("find withdrawal %s: %w", requestID, err)
	}
	return w, nil
}

// ReservedTokens sums the amounts of from's withdrawals of token on the chain
// chainID whose transaction is not mined yet: the chain's balance does not
// show them. (A token may have the same address on several chains.)
func ReservedTokens(tx *gorm.DB, chainID uint64, from, token common.Address) (*big.Int, error) {
	return sumUnits(tx, from, `SELECT CAST(COALESCE(SUM(w.amount_units), 0) AS CHAR) FROM withdrawals w
		JOIN tx_sends s ON s.send_key = w.send_key
		WHERE w.from_address = ? AND w.token = ? AND s.chain_id = ? AND s.state IN ?`,
		lower(from), lower(token), chainID, txsender.UnminedStates())
}

// sumUnits runs query, a sum of token units reserved by from, and parses it.
func sumUnits(tx *gorm.DB, from common.Address, query string, args ...any) (*big.Int, error) {
	v, err := db.SumUnits(tx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("reserved tokens of %s: %w", from.Hex(), err)
	}
	return v, nil
}

// Spent is what sends take from an address: the most their gas and value may
// cost (ether, wei) and the tokens its withdrawals move (base units).
type Spent struct {
	Ether  *big.Int
	Tokens map[common.Address]*big.Int
}

// SpentSince sums what every send from `from` on the chain chainID with a
// nonce of at least nonce takes, whatever its state: a send mined since then
// may not show in a balance read before. One statement, on the (chain_id,
// from_address, nonce) key.
func SpentSince(tx *gorm.DB, chainID uint64, from common.Address, nonce uint64) (Spent, error) {
	var rows []struct {
		MaxCost string  `gorm:"column:max_cost"`
		Token   *string `gorm:"column:token"`
		Units   *string `gorm:"column:amount_units"`
	}
	err := tx.Raw(`SELECT CAST(s.max_cost AS CHAR) AS max_cost, w.token, CAST(w.amount_units AS CHAR) AS amount_units
		FROM tx_sends s LEFT JOIN withdrawals w ON w.send_key = s.send_key AND w.from_address = s.from_address
		WHERE s.chain_id = ? AND s.from_address = ? AND s.nonce >= ?`, chainID, lower(from), nonce).Scan(&rows).Error
	if err != nil {
		return Spent{}, fmt.Errorf("spent by %s since nonce %d: %w", from.Hex(), nonce, err)
	}
	out := Spent{Ether: new(big.Int), Tokens: map[common.Address]*big.Int{}}
	for _, r := range rows {
		cost, ok := new(big.Int).SetString(r.MaxCost, 10)
		if !ok {
			return Spent{}, fmt.Errorf("spent by %s: bad cost %q", from.Hex(), r.MaxCost)
		}
		out.Ether.Add(out.Ether, cost)
		if r.Token == nil || r.Units == nil {
			continue
		}
		units, ok := new(big.Int).SetString(*r.Units, 10)
		if !ok {
			return Spent{}, fmt.Errorf("spent by %s: bad amount %q", from.Hex(), *r.Units)
		}
		tok := common.HexToAddress(*r.Token)
		if out.Tokens[tok] == nil {
			out.Tokens[tok] = new(big.Int)
		}
		out.Tokens[tok].Add(out.Tokens[tok], units)
	}
	return out, nil
}

func lower(a common.Address) string { return strings.ToLower(a.Hex()) }
