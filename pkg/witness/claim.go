package witness

import (
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/events"
)

// claim is what a transfer event says, parsed into the chain's terms.
type claim struct {
	// id names the transfer in errors and alerts, built from parsed values
	// only: nothing the sender wrote reaches an operator verbatim.
	id        string
	tx        common.Hash
	logIndex  uint
	block     uint64
	blockHash common.Hash
	token     common.Address
	// from and to are the log's topics: addresses left-padded to 32 bytes.
	from, to common.Hash
	amount   *big.Int
}

// parse reads t; a claim that cannot be true of any transfer this service
// handles (another chain, a token contract not configured for its symbol,
// malformed values) is refuted without asking the node.
func (w *Witness) parse(t events.Transfer) (claim, error) {
	c := claim{id: "with a malformed tx_hash", logIndex: t.LogIndex, block: t.BlockNumber}
	refute := func(reason string) error { return &Refuted{Transfer: c.id, Reason: reason} }
	var ok bool
	if c.tx, ok = hash(t.TxHash); !ok {
		return c, refute("tx_hash is not a transaction hash")
	}
	c.id = fmt.Sprintf("%s:%s:%d", w.Chain, strings.ToLower(c.tx.Hex()), t.LogIndex)
	if t.Chain != w.Chain {
		return c, refute("the event names another chain than the one this service serves")
	}
	tok, ok := w.Tokens.BySymbol(t.Symbol)
	if !ok || tok.Symbol != t.Symbol {
		return c, refute("the event names a token this service does not serve")
	}
	if !common.IsHexAddress(t.Token) || common.HexToAddress(t.Token) != tok.Address || t.Decimals != tok.Decimals {
		return c, refute("the event's token contract or decimals are not those configured for " + tok.Symbol)
	}
	c.token = tok.Address
	if c.blockHash, ok = hash(t.BlockHash); !ok {
		return c, refute("block_hash is not a block hash")
	}
	if !common.IsHexAddress(t.From) || !common.IsHexAddress(t.To) {
		return c, refute("from or to is not an address")
	}
	c.from = common.BytesToHash(common.HexToAddress(t.From).Bytes())
	c.to = common.BytesToHash(common.HexToAddress(t.To).Bytes())
	if c.amount, ok = new(big.Int).SetString(t.Amount, 10); !ok || c.amount.Sign() < 0 || c.amount.BitLen() > 256 {
		return c, refute("amount is not a uint256 in base units")
	}
	return c, nil
}

// hash reads a 0x-prefixed 32-byte hex hash.
func hash(s string) (common.Hash, bool) {
	if len(s) != 66 || !strings.HasPrefix(s, "0x") {
		return common.Hash{}, false
	}
	b, err := hex.DecodeString(s[2:])
	if err != nil {
		return common.Hash{}, false
	}
	return common.BytesToHash(b), true
}
