// Package witness confirms on the node what a transfer event claims before a
// service reports it final. The chain is the only witness of what happened on
// chain: an internal message, however well authenticated, is only a claim (a
// compromised chain-listener holds the internal secret).
//
// Confirm checks, for each transfer, that the receipt of its transaction
// holds, at its log_index, a Transfer log of the configured contract of its
// token with its from, to and amount; that the transaction succeeded; that
// its block is the canonical block at its height (the header by number); and
// that the block is at least Confirmations deep. The reads for a whole batch
// of transfers travel in one JSON-RPC batch, one round trip whatever N: the
// receipt of each distinct transaction, the header of each distinct block
// height, and the head (1 + transactions + heights calls, at most 2N+1; a
// provider's limit on batch size must allow that for the largest batch a
// service hands over).
//
// A transfer that is not confirmed is one of two things, told apart:
//
//   - Refuted: definitely not on chain as claimed. The node has passed the
//     claimed block by the confirmation depth, and the transaction has no
//     receipt, or is in another block, or the claimed block is not the
//     canonical one at its height, or the transaction failed, or it has no
//     log at log_index, or that log differs from the claim; or the claim
//     names a chain or token contract the service does not serve. Such a
//     transfer is never credited: the caller dead-letters the event with the
//     reason and raises an operator alert (AlertNotOnChain), since a part of
//     the suite reports transfers that did not happen.
//   - any other error: the node is behind (it has not reached the depth),
//     unreachable, or changed its mind between two reads of one batch. The
//     caller retries later.
//
// Judging only at the confirmation depth keeps a node briefly on another
// fork near the head from refuting a genuine transfer. Pending reports
// (status 2) are not witnessed: they are not final and credit nothing.
package witness

import (
	"context"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"

	"paysuite/pkg/erc20"
	"paysuite/pkg/events"
	"paysuite/pkg/tokens"
)

// Node sends several JSON-RPC calls in one round trip (*rpc.Client).
type Node interface {
	BatchCallContext(ctx context.Context, b []rpc.BatchElem) error
}

// Witness confirms transfers on one chain's node.
type Witness struct {
	Node Node
	// Chain is the chain the node serves, as events name it (CHAIN).
	Chain string
	// Tokens are the contracts whose transfers count, by symbol.
	Tokens tokens.List
	// Confirmations is the depth a transfer's block must reach
	// (CONFIRMATIONS: the head counts as one).
	Confirmations uint64
}

// Confirm checks ts on the node in one round trip. It returns nil and the
// node's head when every transfer is on chain as claimed and deep enough, a
// *Refuted for the first one the chain contradicts, or another error when
// the node cannot tell yet. No transfer costs nothing.
func (w *Witness) Confirm(ctx context.Context, ts []events.Transfer) (head uint64, err error) {
	if len(ts) == 0 {
		return 0, nil
	}
	claims := make([]claim, len(ts))
	for i, t := range ts {
		if claims[i], err = w.parse(t); err != nil {
			return 0, err
		}
	}
	r, err := w.read(ctx, claims)
	if err != nil {
		return 0, err
	}
	var pending error
	topic := erc20.TransferEventTopic()
	for _, c := range claims {
		switch err := w.judge(c, r, topic); err.(type) {
		case nil:
		case *Refuted:
			return 0, err
		default:
			if pending == nil {
				pending = err
			}
		}
	}
	if pending != nil {
		return 0, pending
	}
	return r.head, nil
}

// receipt is what the witness reads of a transaction receipt.
type receipt struct {
	Status      hexutil.Uint64 `json:"status"`
	BlockHash   common.Hash    `json:"blockHash"`
	BlockNumber hexutil.Uint64 `json:"blockNumber"`
	Logs        []struct {
		Address  common.Address `json:"address"`
		Topics   []common.Hash  `json:"topics"`
		Data     hexutil.Bytes  `json:"data"`
		LogIndex hexutil.Uint   `json:"logIndex"`
	} `json:"logs"`
}

// header is what the witness reads of a block: the node's own hash, so no
// field of a chain's header format matters.
type header struct {
	Hash   common.Hash    `json:"hash"`
	Number hexutil.Uint64 `json:"number"`
}

// reads are the node's answers for a batch of claims.
type reads struct {
	head     uint64
	receipts map[common.Hash]**receipt
	headers  map[uint64]**header
}

// read asks the node, in one batch, for the head, the receipt of each
// distinct transaction and the header of each distinct claimed block.
func (w *Witness) read(ctx context.Context, claims []claim) (reads, error) {
	var head hexutil.Uint64
	r := reads{receipts: map[common.Hash]**receipt{}, headers: map[uint64]**header{}}
	batch := []rpc.BatchElem{{Method: "eth_blockNumber", Result: &head}}
	for _, c := range claims {
		if _, ok := r.receipts[c.tx]; !ok {
			r.receipts[c.tx] = new(*receipt)
			batch = append(batch, rpc.BatchElem{Method: "eth_getTransactionReceipt", Args: []any{c.tx}, Result: r.receipts[c.tx]})
		}
		if _, ok := r.headers[c.block]; !ok {
			r.headers[c.block] = new(*header)
			batch = append(batch, rpc.BatchElem{Method: "eth_getBlockByNumber",
				Args: []any{hexutil.EncodeUint64(c.block), false}, Result: r.headers[c.block]})
		}
	}
	if err := w.Node.BatchCallContext(ctx, batch); err != nil {
		return r, fmt.Errorf("witness %d transfers: node: %w", len(claims), err)
	}
	for _, el := range batch {
		if el.Error != nil {
			return r, fmt.Errorf("witness %d transfers: node: %s %v: %w", len(claims), el.Method, el.Args, el.Error)
		}
	}
	r.head = uint64(head)
	return r, nil
}

// judge compares one claim with the node's answers.
func (w *Witness) judge(c claim, r reads, transferTopic common.Hash) error {
	if r.head < c.block || r.head+1 < c.block+w.Confirmations {
		return fmt.Errorf("transfer %s: the node's head %d is not %d blocks past block %d yet", c.id, r.head, w.Confirmations, c.block)
	}
	h := *r.headers[c.block]
	if h == nil || uint64(h.Number) != c.block {
		return fmt.Errorf("transfer %s: the node has no block %d below its head %d", c.id, c.block, r.head)
	}
	refute := func(format string, args ...any) error {
		return &Refuted{Transfer: c.id, Reason: fmt.Sprintf(format, args...)}
	}
	rc := *r.receipts[c.tx]
	switch {
	case rc == nil:
		return refute("the transaction has no receipt: it is in no block of the chain")
	case uint64(rc.BlockNumber) != c.block:
		return refute("the transaction is in block %d, not in block %d", rc.BlockNumber, c.block)
	case rc.BlockHash != h.Hash:
		// Both answers are the node's, at one height: it switched forks
		// between them.
		return fmt.Errorf("transfer %s: the node answered two blocks at height %d", c.id, c.block)
	case h.Hash != c.blockHash:
		return refute("the canonical block %d is %s, not %s", c.block, h.Hash.Hex(), c.blockHash.Hex())
	case rc.Status != 1:
		return refute("the transaction failed")
	}
	for _, l := range rc.Logs {
		if uint(l.LogIndex) != c.logIndex {
			continue
		}
		switch {
		case l.Address != c.token:
			return refute("log %d is not from the token's contract", c.logIndex)
		case len(l.Topics) != 3 || l.Topics[0] != transferTopic:
			return refute("log %d is not an ERC-20 Transfer", c.logIndex)
		case l.Topics[1] != c.from:
			return refute("log %d is from another sender", c.logIndex)
		case l.Topics[2] != c.to:
			return refute("log %d pays another address", c.logIndex)
		case len(l.Data) != 32 || new(big.Int).SetBytes(l.Data).Cmp(c.amount) != 0:
			return refute("log %d moves another amount", c.logIndex)
		}
		return nil
	}
	return refute("the transaction has no log %d", c.logIndex)
}
