// Package chain reads what the listener needs from an Ethereum JSON-RPC node:
// block numbers and hashes in batches, Transfer logs over block ranges, and new heads.
package chain

import (
	"context"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/rs/zerolog"

	"paysuite/pkg/redact"
)

// BlockRef identifies a block and its parent, all the scanner keeps of it.
type BlockRef struct {
	Number uint64
	Hash   common.Hash
	Parent common.Hash
}

// RPC talks to a node over JSON-RPC.
type RPC struct {
	rpc *rpc.Client
	eth *ethclient.Client
}

// Dial connects to the node at url (http(s) or ws(s)).
func Dial(ctx context.Context, url string) (*RPC, error) {
	c, err := rpc.DialContext(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", redact.URL(url), redact.Error(err, url))
	}
	return New(c), nil
}

// New talks over the connection c (see ethnode.Dial).
func New(c *rpc.Client) *RPC { return &RPC{rpc: c, eth: ethclient.NewClient(c)} }

// Close closes the connection.
func (r *RPC) Close() { r.rpc.Close() }

// Head returns the number of the newest block.
func (r *RPC) Head(ctx context.Context) (uint64, error) {
	return r.eth.BlockNumber(ctx)
}

// Finalized returns the number of the node's "finalized" block: what its
// chain's finality gadget has made final.
func (r *RPC) Finalized(ctx context.Context) (uint64, error) {
	var b *rpcBlock
	if err := r.rpc.CallContext(ctx, &b, "eth_getBlockByNumber", "finalized", false); err != nil {
		return 0, fmt.Errorf("get the finalized block: %w", err)
	}
	if b == nil {
		return 0, fmt.Errorf("the node has no finalized block")
	}
	return uint64(b.Number), nil
}

type rpcBlock struct {
	Number     hexutil.Uint64 `json:"number"`
	Hash       common.Hash    `json:"hash"`
	ParentHash common.Hash    `json:"parentHash"`
}

// Block returns the canonical block at number.
func (r *RPC) Block(ctx context.Context, number uint64) (BlockRef, error) {
	refs, err := r.Blocks(ctx, number, number)
	if err != nil {
		return BlockRef{}, err
	}
	return refs[0], nil
}

// Blocks returns the canonical blocks from..to inclusive in one batch request.
// It reads hashes as the node reports them rather than hashing headers, so
// chains with their own header fields work too.
func (r *RPC) Blocks(ctx context.Context, from, to uint64) ([]BlockRef, error) {
	n := int(to - from + 1)
	raw := make([]*rpcBlock, n)
	batch := make([]rpc.BatchElem, n)
	for i := range batch {
		batch[i] = rpc.BatchElem{
			Method: "eth_getBlockByNumber",
			Args:   []any{hexutil.EncodeUint64(from + uint64(i)), false},
			Result: &raw[i],
		}
	}
	if err := r.rpc.BatchCallContext(ctx, batch); err != nil {
		return nil, fmt.Errorf("get blocks %d..%d: %w", from, to, err)
	}
	refs := make([]BlockRef, n)
	for i, el := range batch {
		if el.Error != nil {
			return nil, fmt.Errorf("get block %d: %w", from+uint64(i), el.Error)
		}
		if raw[i] == nil {
			return nil, fmt.Errorf("block %d not found", from+uint64(i))
		}
		refs[i] = BlockRef{Number: uint64(raw[i].Number), Hash: raw[i].Hash, Parent: raw[i].ParentHash}
	}
	return refs, nil
}

// TransferTopic is the topic of the ERC-20 Transfer(address,address,uint256) event.
var TransferTopic = common.HexToHash("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef")

// TransferLogs returns the Transfer logs of tokens in from..to; with recipients,
// only those to one of them.
func (r *RPC) TransferLogs(ctx context.Context, from, to uint64, tokens []common.Address, recipients []common.Address) ([]types.Log, error) {
	topics := [][]common.Hash{{TransferTopic}}
	if len(recipients) > 0 {
		hashes := make([]common.Hash, len(recipients))
		for i, a := range recipients {
			hashes[i] = common.BytesToHash(a.Bytes())
		}
		topics = append(topics, nil, hashes)
	}
	logs, err := r.eth.FilterLogs(ctx, ethereum.FilterQuery{
		FromBlock: new(big.Int).SetUint64(from),
		ToBlock:   new(big.Int).SetUint64(to),
		Addresses: tokens,
		Topics:    topics,
	})
	if err != nil {
		return nil, fmt.Errorf("get transfer logs %d..%d: %w", from, to, err)
	}
	return logs, nil
}

// FollowHeads calls notify for every new head announced over the WebSocket at
// wsURL, resubscribing with backoff when the subscription drops. up reports
// whether a subscription is currently active, so callers can poll meanwhile.
func FollowHeads(ctx context.Context, wsURL string, log zerolog.Logger, notify func(), up func(bool)) {
	backoff := time.Second
	for ctx.Err() == nil {
		err := followOnce(ctx, wsURL, notify, up)
		up(false)
		if ctx.Err() != nil {
			return
		}
		log.Warn().Err(redact.Error(err, wsURL)).Dur("retry_in", backoff).Msg("head subscription dropped; polling meanwhile")
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

func followOnce(ctx context.Context, wsURL string, notify func(), up func(bool)) error {
	c, err := ethclient.DialContext(ctx, wsURL)
	if err != nil {
		return err
	}
	defer c.Close()
	heads := make(chan *types.Header, 16)
	sub, err := c.SubscribeNewHead(ctx, heads)
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	up(true)
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-sub.Err():
			return err
		case <-heads:
			notify()
		}
	}
}
