package txsender

import (
	"math/big"
	"strings"
	"time"

	"paysuite/pkg/money"
)

// States of a send. Only StateConfirmed, StateReverted, StateNotMoved and
// StateFailed are final.
const (
	// StateSigned: signed and stored, not yet known to have reached the node.
	StateSigned = "signed"
	// StatePending: broadcast at least once, not mined.
	StatePending = "pending"
	// StateIncluded: one of its attempts is mined, with fewer confirmations than required.
	StateIncluded = "included"
	// StateConfirmed: mined with status 1 and the required confirmations.
	StateConfirmed = "confirmed"
	// StateReverted: mined with status 0 and the required confirmations; nothing moved but gas.
	StateReverted = "reverted"
	// StateNotMoved: a token transfer mined with status 1 and the required
	// confirmations whose receipt lacks the token's Transfer event of what it
	// asked for (the token returned false instead of reverting); LastError says
	// what is missing. Nothing moved but gas.
	StateNotMoved = "not_moved"
	// StateFailed: its nonce was used by a transaction that is not one of its
	// attempts (the key was used elsewhere), so it can never be mined.
	StateFailed = "failed"
)

// UnminedStates are the states of sends whose cost the node has not yet debited.
func UnminedStates() []string { return []string{StateSigned, StatePending} }

// activeStates are the states the tracker follows.
func activeStates() []string { return []string{StateSigned, StatePending, StateIncluded} }

// Send is one logical transaction: a nonce of one address and every signed
// attempt at it (replacements share the nonce, so at most one can be mined).
type Send struct {
	ID            uint64 `gorm:"column:id;primaryKey;autoIncrement"`
	Key           string `gorm:"column:send_key"`
	Purpose       string `gorm:"column:purpose"`
	Ref           string `gorm:"column:ref"`
	ChainID       uint64 `gorm:"column:chain_id"`
	From          string `gorm:"column:from_address"` // lowercase 0x-hex
	To            string `gorm:"column:to_address"`   // lowercase 0x-hex
	Value         string `gorm:"column:value"`        // wei, decimal
	Data          []byte `gorm:"column:data"`
	Nonce         uint64 `gorm:"column:nonce"`
	GasLimit      uint64 `gorm:"column:gas_limit"`
	Confirmations uint64 `gorm:"column:confirmations"`
	State         string `gorm:"column:state"`
	Version       uint64 `gorm:"column:version"`
	// MaxCost is value + gas limit × fee cap of the latest attempt: the most the
	// node may debit for it.
	MaxCost  string `gorm:"column:max_cost"`
	Attempts int    `gorm:"column:attempts"`
	// TxHash is the latest attempt's hash; FirstHash the first one's.
	TxHash          string     `gorm:"column:tx_hash"`
	FirstHash       string     `gorm:"column:first_hash"`
	LastAttemptAt   time.Time  `gorm:"column:last_attempt_at"`
	LastBroadcastAt *time.Time `gorm:"column:last_broadcast_at"`
	BroadcastAt     *time.Time `gorm:"column:broadcast_at"`
	// Set once an attempt is mined.
	MinedHash     *string `gorm:"column:mined_hash"`
	BlockNumber   *uint64 `gorm:"column:block_number"`
	BlockHash     *string `gorm:"column:block_hash"`
	ReceiptStatus *uint8  `gorm:"column:receipt_status"`
	GasUsed       *uint64 `gorm:"column:gas_used"`
	Fee           *string `gorm:"column:fee"` // wei, decimal
	// LastError is the node's last refusal of a broadcast, or why the send failed.
	LastError *string   `gorm:"column:last_error"`
	CreatedAt time.Time `gorm:"column:created_at"`
}

// TableName maps Send to its table.
func (Send) TableName() string { return "tx_sends" }

// Final reports whether the send has reached a final state.
func (s *Send) Final() bool {
	return s.State == StateConfirmed || s.State == StateReverted || s.State == StateNotMoved || s.State == StateFailed
}

// RefusedForFunds reports whether the node's last refusal of a broadcast was
// for lack of coin to pay the gas and value (a reorganisation took a funding
// away, or a replacement costs more than the address holds).
func (s *Send) RefusedForFunds() bool {
	return s.LastError != nil && strings.Contains(strings.ToLower(*s.LastError), "insufficient funds")
}

// FeeETH returns the fee paid (gas used × effective gas price) in ETH as a
// canonical decimal string, or "" when the send is not mined.
func (s *Send) FeeETH() string {
	if s.Fee == nil {
		return ""
	}
	wei, ok := new(big.Int).SetString(*s.Fee, 10)
	if !ok {
		return ""
	}
	return money.Format(money.FromBaseUnits(wei, 18))
}

// Attempt is one signed transaction of a send.
type Attempt struct {
	ID        uint64    `gorm:"column:id;primaryKey;autoIncrement"`
	SendID    uint64    `gorm:"column:send_id"`
	TxHash    string    `gorm:"column:tx_hash"`
	TipCap    string    `gorm:"column:gas_tip_cap"`
	FeeCap    string    `gorm:"column:gas_fee_cap"`
	Raw       []byte    `gorm:"column:raw"`
	CreatedAt time.Time `gorm:"column:created_at"`
}

// TableName maps Attempt to its table.
func (Attempt) TableName() string { return "tx_attempts" }

// nonceRow is the next nonce to hand out for one sending address on one chain.
type nonceRow struct {
	ChainID   uint64 `gorm:"column:chain_id;primaryKey"`
	Address   string `gorm:"column:address;primaryKey"`
	NextNonce uint64 `gorm:"column:next_nonce"`
}

func (nonceRow) TableName() string { return "tx_nonces" }
