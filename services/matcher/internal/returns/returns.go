// Package returns builds the matcher's signed return messages, as the contract
// and the order schemas in proto/ describe them.
package returns

import (
	"strings"

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
	// CheckoutURL is the payer's page of an order that is open (status 1),
	// when the checkout's public URL is configured.
	CheckoutURL string `json:"checkout_url,omitempty"`
}

// CheckoutURL is the address of the checkout page of token under base, the
// checkout's public URL; empty when either is.
func CheckoutURL(base, token string) string {
	if base == "" || token == "" {
		return ""
	}
	return strings.TrimRight(base, "/") + "/checkout/" + token
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

// Rejected is the body of the rejected return (contract section 3) that
// answers over HTTP a message the suite did not accept as a request: the
// fields request.Gate publishes for one from the queue, nothing of the
// message echoed but its request_id.
func Rejected(requestID, code, message string) returnhead.Head {
	return returnhead.Head{RequestID: requestID, Event: contract.EventRejected, Status: contract.StatusFailed,
		Error: code, Message: message}
}

// Refusal is the status-0 created answer to an order request that was refused.
func Refusal(requestID, orderID, chain, symbol, amount, code, message string) Created {
	return Created{Head: returnhead.Head{RequestID: requestID, Event: contract.EventCreated, Status: contract.StatusFailed,
		Error: code, Message: message}, OrderID: orderID, Chain: chain, Symbol: symbol, Amount: amount}
}
