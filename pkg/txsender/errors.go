package txsender

import "strings"

// broadcastResult classifies a node's answer to eth_sendRawTransaction.
type broadcastResult int

const (
	// sentOK: the node accepted the transaction, or already had it.
	sentOK broadcastResult = iota
	// sentNonceUsed: the nonce is already used on chain: one of the send's
	// attempts was mined, or (rarely) another transaction of the same key.
	sentNonceUsed
	// sentRefused: refused for now (underpriced replacement, no funds, pool
	// full, connection trouble): try again later.
	sentRefused
)

// classify maps node error texts (go-ethereum's, and the usual ones of other
// clients) to what the sender does next.
func classify(err error) broadcastResult {
	if err == nil {
		return sentOK
	}
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "already known"), strings.Contains(msg, "known transaction"),
		strings.Contains(msg, "already imported"), strings.Contains(msg, "already exists"),
		strings.Contains(msg, "alreadyknown"):
		return sentOK
	case strings.Contains(msg, "nonce too low"), strings.Contains(msg, "nonce is too low"),
		strings.Contains(msg, "oldnonce"):
		return sentNonceUsed
	default:
		return sentRefused
	}
}
