// Package returns builds the matcher's signed return messages, as the contract
// and the order schemas in proto/ describe them.
package returns

import (
	"paysuite/pkg/contract"
	"paysuite/pkg/returnhead"
)

// Created answers an order request: where and how much to pay, or why not.
// An order payable on several chains has Chain "*" and Chains, the chains
// comma-separated in configuration order.
type Created struct {
	returnhead.Head
	OrderID    string `json:"order_id,omitempty"`
	Chain      string `json:"chain"`
	Chains     string `json:"chains,omitempty"`
	Symbol     string `json:"symbol"`
	Amount     string `json:"amount,omitempty"`
	PayAddress string `json:"pay_address,omitempty"`
	PayAmount  string `json:"pay_amount,omitempty"`
	ExpiresAt  *int64 `json:"expires_at,omitempty"`
	Mode       string `json:"mode,omitempty"`
}

// Paid reports one stage of one transfer matched to an order: seen, confirmed,
// or removed by a reorganisation after it was reported seen (status 0, reorged).
// Its Chain is the chain the transfer was made on.
type Paid struct {
	returnhead.Head
	OrderID     string `json:"order_id"`
	Chain       string `json:"chain"`
	Symbol      string `json:"symbol"`
	Amount      string `json:"amount"`
	PayAddress  string `json:"pay_address"`
	PayAmount   string `json:"pay_amount"`
	PaidAmount  string `json:"paid_amount"`
	TxHash      string `json:"tx_hash"`
	BlockNumber uint64 `json:"block_number"`
	Late        bool   `json:"late"`
}

// Expired reports an order whose expiry passed without full payment.
type Expired struct {
	RequestID  string `json:"request_id"`
	Event      string `json:"event"`
	Status     int    `json:"status"`
	Error      string `json:"error"`
	Message    string `json:"message,omitempty"`
	OrderID    string `json:"order_id"`
	Chain      string `json:"chain"`
	Chains     string `json:"chains,omitempty"`
	Symbol     string `json:"symbol"`
	Amount     string `json:"amount"`
	PayAddress string `json:"pay_address"`
	PayAmount  string `json:"pay_amount"`
	PaidAmount string `json:"paid_amount"`
}

// Refusal is the status-0 created answer to an order request that was refused.
func Refusal(requestID, orderID, chain, symbol, amount, code, message string) Created {
	return Created{Head: returnhead.Head{RequestID: requestID, Event: contract.EventCreated, Status: contract.StatusFailed,
		Error: code, Message: message}, OrderID: orderID, Chain: chain, Symbol: symbol, Amount: amount}
}
