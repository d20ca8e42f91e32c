// Package returns builds pay's signed return messages, as the contract and
// proto/schemas/pay.return.*.json describe them.
package returns

import "paysuite/pkg/returnhead"

// Submitted tells that the payment's transaction was broadcast.
type Submitted struct {
	returnhead.Head
	OrderID     string `json:"order_id"`
	Chain       string `json:"chain"`
	Symbol      string `json:"symbol"`
	Amount      string `json:"amount"`
	ToAddress   string `json:"to_address"`
	FromAddress string `json:"from_address"`
	PaidFrom    string `json:"paid_from"`
	TxHash      string `json:"tx_hash"`
}

// Pay is the final outcome of a pay request.
type Pay struct {
	returnhead.Head
	OrderID     string  `json:"order_id,omitempty"`
	Chain       string  `json:"chain"`
	Symbol      string  `json:"symbol"`
	Amount      string  `json:"amount,omitempty"`
	ToAddress   string  `json:"to_address,omitempty"`
	FromAddress string  `json:"from_address,omitempty"`
	PaidFrom    string  `json:"paid_from,omitempty"`
	TxHash      string  `json:"tx_hash,omitempty"`
	BlockNumber *uint64 `json:"block_number,omitempty"`
	Fee         string  `json:"fee,omitempty"`
}
