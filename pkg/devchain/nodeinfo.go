package devchain

import (
	"context"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
)

// nodeInfo is anvil_nodeInfo's answer, with the fields that apply to this chain (it never forks
// another network, so forkConfig is empty).
type nodeInfo struct {
	CurrentBlockNumber    uint64          `json:"currentBlockNumber"`
	CurrentBlockTimestamp uint64          `json:"currentBlockTimestamp"`
	CurrentBlockHash      common.Hash     `json:"currentBlockHash"`
	HardFork              string          `json:"hardFork"`
	TransactionOrder      string          `json:"transactionOrder"`
	Environment           nodeEnvironment `json:"environment"`
	ForkConfig            struct{}        `json:"forkConfig"`
}

// nodeEnvironment is the environment part of anvil_nodeInfo. Fees are in wei.
type nodeEnvironment struct {
	BaseFee  uint64 `json:"baseFee"`
	ChainID  uint64 `json:"chainId"`
	GasLimit uint64 `json:"gasLimit"`
	GasPrice uint64 `json:"gasPrice"`
}

// nodeInfo describes the head and the rules in force.
func (c *Chain) nodeInfo(ctx context.Context) (*nodeInfo, error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	chain := c.backend.BlockChain()
	head := chain.CurrentBlock()
	info := &nodeInfo{
		CurrentBlockNumber:    head.Number.Uint64(),
		CurrentBlockTimestamp: head.Time,
		CurrentBlockHash:      head.Hash(),
		HardFork:              strings.ToLower(chain.Config().LatestFork(head.Time).String()),
		// go-ethereum's miner orders by tip, then nonce per sender.
		TransactionOrder: "fees",
		Environment:      nodeEnvironment{ChainID: c.chainID.Uint64(), GasLimit: head.GasLimit},
	}
	tip, err := c.backend.APIBackend.SuggestGasTipCap(ctx)
	if err != nil {
		return nil, fmt.Errorf("anvil_nodeInfo: suggest tip: %w", err)
	}
	// eth_gasPrice's answer: the suggested tip plus the head's base fee.
	price := new(big.Int).Set(tip)
	if head.BaseFee != nil {
		info.Environment.BaseFee = head.BaseFee.Uint64()
		price.Add(price, head.BaseFee)
	}
	info.Environment.GasPrice = price.Uint64()
	return info, nil
}
