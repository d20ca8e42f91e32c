// Package returns builds topup's signed return messages, as the contract and the
// schemas in proto/ describe them.
package returns

import (
	"paysuite/pkg/contract"
	"paysuite/pkg/returnhead"
)

// Registered answers a topup request.
type Registered struct {
	returnhead.Head
	Chain string `json:"chain"`
	// Chains lists, for a registration on every chain (chain "*"), the
	// chains it covers, comma-separated in configuration order: a string,
	// so that the signing scheme covers it.
	Chains  string `json:"chains,omitempty"`
	Symbol  string `json:"symbol"`
	Address string `json:"address,omitempty"`
	UserID  string `json:"user_id,omitempty"`
}

// Deposit reports one stage of a transfer into a registered address.
type Deposit struct {
	returnhead.Head
	Chain         string `json:"chain"`
	Symbol        string `json:"symbol"`
	Amount        string `json:"amount"`
	DepositID     string `json:"deposit_id"`
	Address       string `json:"address"`
	FromAddress   string `json:"from_address"`
	TxHash        string `json:"tx_hash"`
	LogIndex      uint   `json:"log_index"`
	BlockNumber   uint64 `json:"block_number"`
	BlockHash     string `json:"block_hash"`
	Confirmations uint64 `json:"confirmations"`
	UserID        string `json:"user_id,omitempty"`
}

// Failure is the status-0 answer to a topup request that was refused.
func Failure(requestID, chain, symbol, code, message string) Registered {
	return Registered{Head: returnhead.Head{RequestID: requestID, Event: contract.EventRegistered, Status: contract.StatusFailed,
		Error: code, Message: message}, Chain: chain, Symbol: symbol}
}
