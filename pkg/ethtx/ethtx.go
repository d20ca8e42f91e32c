// Package ethtx signs and sends EIP-1559 transactions from a local key: the
// tooling's way (command-line client, tests) to move test tokens and ETH.
package ethtx

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"paysuite/pkg/erc20"
)

// Send signs a call from key to `to` with data and value, using the pending
// nonce and the node's fee suggestions, and broadcasts it.
func Send(ctx context.Context, c *ethclient.Client, key *ecdsa.PrivateKey, to common.Address, data []byte, value *big.Int) (*types.Transaction, error) {
	from := crypto.PubkeyToAddress(key.PublicKey)
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, fmt.Errorf("chain id: %w", err)
	}
	nonce, err := c.PendingNonceAt(ctx, from)
	if err != nil {
		return nil, fmt.Errorf("nonce of %s: %w", from, err)
	}
	tip, err := c.SuggestGasTipCap(ctx)
	if err != nil {
		return nil, fmt.Errorf("suggest tip: %w", err)
	}
	head, err := c.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("head: %w", err)
	}
	feeCap := new(big.Int).Add(tip, new(big.Int).Mul(head.BaseFee, big.NewInt(2)))
	if value == nil {
		value = new(big.Int)
	}
	gas, err := c.EstimateGas(ctx, ethereum.CallMsg{From: from, To: &to, Data: data, Value: value})
	if err != nil {
		return nil, fmt.Errorf("estimate gas: %w", err)
	}
	tx := types.NewTx(&types.DynamicFeeTx{
		ChainID: chainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap,
		Gas: gas * 12 / 10, To: &to, Value: value, Data: data,
	})
	signed, err := types.SignTx(tx, types.LatestSignerForChainID(chainID), key)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	if err := c.SendTransaction(ctx, signed); err != nil {
		return nil, fmt.Errorf("send: %w", err)
	}
	return signed, nil
}

// TransferToken sends amount base units of token from key's address to `to`.
func TransferToken(ctx context.Context, c *ethclient.Client, key *ecdsa.PrivateKey, token, to common.Address, amount *big.Int) (*types.Transaction, error) {
	return Send(ctx, c, key, token, erc20.NewTestUSDT().PackTransfer(to, amount), nil)
}

// TokenBalance reads balanceOf(holder) of token at the latest block.
func TokenBalance(ctx context.Context, c *ethclient.Client, token, holder common.Address) (*big.Int, error) {
	abi := erc20.NewTestUSDT()
	out, err := c.CallContract(ctx, ethereum.CallMsg{To: &token, Data: abi.PackBalanceOf(holder)}, nil)
	if err != nil {
		return nil, fmt.Errorf("balanceOf %s: %w", holder, err)
	}
	return abi.UnpackBalanceOf(out)
}
