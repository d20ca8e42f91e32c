package txsender

import (
	"context"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"

	"paysuite/pkg/erc20"
)

// Node is what the sender needs of an Ethereum JSON-RPC node.
type Node interface {
	ChainID(ctx context.Context) (*big.Int, error)
	HeaderByNumber(ctx context.Context, number *big.Int) (*types.Header, error)
	PendingNonceAt(ctx context.Context, account common.Address) (uint64, error)
	NonceAt(ctx context.Context, account common.Address, block *big.Int) (uint64, error)
	BalanceAt(ctx context.Context, account common.Address, block *big.Int) (*big.Int, error)
	SuggestGasTipCap(ctx context.Context) (*big.Int, error)
	EstimateGas(ctx context.Context, msg ethereum.CallMsg) (uint64, error)
	CallContract(ctx context.Context, msg ethereum.CallMsg, block *big.Int) ([]byte, error)
	SendTransaction(ctx context.Context, tx *types.Transaction) error
	TransactionByHash(ctx context.Context, hash common.Hash) (*types.Transaction, bool, error)
	// Receipts returns the receipt of each hash, nil for a transaction not mined
	// (or not on the canonical chain).
	Receipts(ctx context.Context, hashes []common.Hash) ([]*types.Receipt, error)
}

// RPCNode is a Node over JSON-RPC; receipts are fetched in batches.
type RPCNode struct {
	*ethclient.Client
	rpc *rpc.Client
}

// Dial connects to the node at url (http(s) or ws(s)).
func Dial(ctx context.Context, url string) (*RPCNode, error) {
	c, err := rpc.DialContext(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("dial node: %w", err)
	}
	return NewRPCNode(c), nil
}

// NewRPCNode is a Node over the connection c (see ethnode.Dial).
func NewRPCNode(c *rpc.Client) *RPCNode {
	return &RPCNode{Client: ethclient.NewClient(c), rpc: c}
}

// receiptBatch bounds one batch request.
const receiptBatch = 200

// Receipts implements Node.
func (n *RPCNode) Receipts(ctx context.Context, hashes []common.Hash) ([]*types.Receipt, error) {
	out := make([]*types.Receipt, len(hashes))
	for start := 0; start < len(hashes); start += receiptBatch {
		end := min(start+receiptBatch, len(hashes))
		batch := make([]rpc.BatchElem, end-start)
		for i := range batch {
			batch[i] = rpc.BatchElem{Method: "eth_getTransactionReceipt", Args: []any{hashes[start+i]}, Result: &out[start+i]}
		}
		if err := n.rpc.BatchCallContext(ctx, batch); err != nil {
			return nil, fmt.Errorf("get %d receipts: %w", len(batch), err)
		}
		for i, el := range batch {
			if el.Error != nil {
				return nil, fmt.Errorf("get receipt %s: %w", hashes[start+i], el.Error)
			}
		}
	}
	return out, nil
}

// TokenBalance reads balanceOf(holder) of an ERC-20 token at block (nil:
// latest) through n (erc20.BalanceOf).
func TokenBalance(ctx context.Context, n Node, token, holder common.Address, block *big.Int) (*big.Int, error) {
	return erc20.BalanceOf(ctx, n, token, holder, block)
}

// TokenBalances reads holder's balance of token now (latest) and as of the
// block confirmations deep (settled: the head is 1 deep); with fewer blocks
// than that, or confirmations of 1 or less, settled is latest.
func TokenBalances(ctx context.Context, n Node, token, holder common.Address, confirmations uint64) (latest, settled *big.Int, err error) {
	head, err := n.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("read head: %w", err)
	}
	at := head.Number
	latest, err = TokenBalance(ctx, n, token, holder, at)
	if err != nil {
		return nil, nil, err
	}
	settled = latest
	if h := head.Number.Uint64(); confirmations > 1 && h+1 >= confirmations {
		if settled, err = TokenBalance(ctx, n, token, holder, new(big.Int).SetUint64(h+1-confirmations)); err != nil {
			return nil, nil, err
		}
	}
	return latest, settled, nil
}
