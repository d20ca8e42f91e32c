// Package ethtx signs and sends EIP-1559 transactions from a local key: the
// tooling's way (command-line client, tests) to move test tokens and ETH.
package ethtx

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"sync"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"paysuite/pkg/erc20"
)

// Nonces hands out consecutive nonces per sending address, starting from the
// node's pending nonce. The node's pool updates its pending nonce in the
// background, so two quick sends that each asked the node could get the same
// nonce, and the second would then fail or even replace the first.
type Nonces struct {
	mu   sync.Mutex
	next map[common.Address]uint64
}

// take returns the nonce for the next transaction of from.
func (n *Nonces) take(ctx context.Context, c *ethclient.Client, from common.Address) (uint64, error) {
	pending, err := c.PendingNonceAt(ctx, from)
	if err != nil || n == nil {
		return pending, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.next == nil {
		n.next = map[common.Address]uint64{}
	}
	nonce := max(pending, n.next[from])
	n.next[from] = nonce + 1
	return nonce, nil
}

// forget drops what is known of from after a failed send, so that the next
// send asks the node again instead of leaving a gap.
func (n *Nonces) forget(from common.Address) {
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.next, from)
}

// Send signs a call from key to `to` with data and value, using the pending
// nonce and the node's fee suggestions, and broadcasts it. For several quick
// sends from one key, use SendWith and one Nonces.
func Send(ctx context.Context, c *ethclient.Client, key *ecdsa.PrivateKey, to common.Address, data []byte, value *big.Int) (*types.Transaction, error) {
	return SendWith(ctx, c, nil, key, to, data, value)
}

// SendWith is Send with nonces taken from nonces (nil: the node's pending nonce).
func SendWith(ctx context.Context, c *ethclient.Client, nonces *Nonces, key *ecdsa.PrivateKey, to common.Address, data []byte, value *big.Int) (*types.Transaction, error) {
	return send(ctx, c, nonces, key, to, data, value, 0)
}

// send signs and broadcasts; gasLimit 0 means the node's estimate plus 20%,
// anything else is used as given, as wallets with a fixed limit do.
func send(ctx context.Context, c *ethclient.Client, nonces *Nonces, key *ecdsa.PrivateKey, to common.Address, data []byte, value *big.Int, gasLimit uint64) (tx *types.Transaction, err error) {
	from := crypto.PubkeyToAddress(key.PublicKey)
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, fmt.Errorf("chain id: %w", err)
	}
	nonce, err := nonces.take(ctx, c, from)
	if err != nil {
		return nil, fmt.Errorf("nonce of %s: %w", from, err)
	}
	defer func() {
		if err != nil {
			nonces.forget(from)
		}
	}()
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
	gas := gasLimit
	if gas == 0 {
		estimate, err := c.EstimateGas(ctx, ethereum.CallMsg{From: from, To: &to, Data: data, Value: value})
		if err != nil {
			return nil, fmt.Errorf("estimate gas: %w", err)
		}
		gas = estimate * 12 / 10
	}
	unsigned := types.NewTx(&types.DynamicFeeTx{
		ChainID: chainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap,
		Gas: gas, To: &to, Value: value, Data: data,
	})
	signed, err := types.SignTx(unsigned, types.LatestSignerForChainID(chainID), key)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	if err := c.SendTransaction(ctx, signed); err != nil {
		return nil, fmt.Errorf("send: %w", err)
	}
	return signed, nil
}

// TransferTokenGas sends amount base units of token from key's address to
// `to` with a fixed gas limit; 0 means the node's estimate plus 20%.
func TransferTokenGas(ctx context.Context, c *ethclient.Client, key *ecdsa.PrivateKey, token, to common.Address, amount *big.Int, gasLimit uint64) (*types.Transaction, error) {
	data, err := erc20.TransferCall(to, amount)
	if err != nil {
		return nil, err
	}
	return send(ctx, c, nil, key, token, data, nil, gasLimit)
}

// TransferTokenWith is TransferToken with nonces taken from nonces. amount must
// be within 0 < amount <= 2^256-1 (erc20.CheckAmount).
func TransferTokenWith(ctx context.Context, c *ethclient.Client, nonces *Nonces, key *ecdsa.PrivateKey, token, to common.Address, amount *big.Int) (*types.Transaction, error) {
	data, err := erc20.TransferCall(to, amount)
	if err != nil {
		return nil, err
	}
	return SendWith(ctx, c, nonces, key, token, data, nil)
}

// TokenBalance reads balanceOf(holder) of token at the latest block (erc20.BalanceOf).
func TokenBalance(ctx context.Context, c *ethclient.Client, token, holder common.Address) (*big.Int, error) {
	return erc20.BalanceOf(ctx, c, token, holder, nil)
}
