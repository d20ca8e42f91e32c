// Package returns builds withdraw's signed return messages, as the contract and
// proto/schemas/withdraw.return.*.json describe them.
package returns

import "paysuite/pkg/returnhead"

// Submitted tells that the withdrawal's transaction was broadcast.
type Submitted struct {
	returnhead.Head
	Chain       string `json:"chain"`
	Symbol      string `json:"symbol"`
	Amount      string `json:"amount"`
	ToAddress   string `json:"to_address"`
	FromAddress string `json:"from_address"`
	TxHash      string `json:"tx_hash"`
}

// Withdraw is the final outcome of a withdraw request.
type Withdraw struct {
	returnhead.Head
	Chain       string  `json:"chain"`
	Symbol      string  `json:"symbol"`
	Amount      string  `json:"amount,omitempty"`
	ToAddress   string  `json:"to_address,omitempty"`
	FromAddress string  `json:"from_address,omitempty"`
	TxHash      string  `json:"tx_hash,omitempty"`
	BlockNumber *uint64 `json:"block_number,omitempty"`
	Fee         string  `json:"fee,omitempty"`
}
