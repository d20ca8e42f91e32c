// Package devfund tops up a payout service's hot wallet on the development
// chain from development account 0, so that a fresh chain can pay at once.
package devfund

import (
	"context"
	"crypto/ecdsa"
	"database/sql"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/erc20"
	"paysuite/pkg/hdwallet"
)

// Node is what funding needs of an Ethereum JSON-RPC node (txsender.RPCNode
// is one).
type Node interface {
	ethereum.ContractCaller
	ChainID(ctx context.Context) (*big.Int, error)
	HeaderByNumber(ctx context.Context, number *big.Int) (*types.Header, error)
	PendingNonceAt(ctx context.Context, account common.Address) (uint64, error)
	BalanceAt(ctx context.Context, account common.Address, block *big.Int) (*big.Int, error)
	SuggestGasTipCap(ctx context.Context) (*big.Int, error)
	EstimateGas(ctx context.Context, msg ethereum.CallMsg) (uint64, error)
	SendTransaction(ctx context.Context, tx *types.Transaction) error
	TransactionByHash(ctx context.Context, hash common.Hash) (*types.Transaction, bool, error)
}

// Funding says how much a development hot wallet should hold: it is topped up
// to ETH and Token when it holds less than half of either.
type Funding struct {
	Wallet common.Address
	ETH    *big.Int // wei
	Token  common.Address
	Tokens *big.Int // base units of Token
}

// poll is how often Fund looks at the balances while it waits.
const poll = 200 * time.Millisecond

// Fund tops up a development hot wallet from development account 0 (contract
// section 5 allows the suite that much) and waits until the transfers are
// mined; blocks may come only on demand, so it waits by polling balances, and
// sends again if its transfer vanished from the node (another process using
// account 0 may have replaced it). Replicas of one service coordinate through a
// named lock on db so that only one of them funds. It returns when the wallet
// holds at least half of each target, or with ctx's error.
func Fund(ctx context.Context, db *gorm.DB, node Node, f Funding, log zerolog.Logger) error {
	sqlDB, err := db.DB()
	if err != nil {
		return fmt.Errorf("dev funding: %w", err)
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("dev funding: %w", err)
	}
	defer conn.Close()
	lock := "devfund:" + strings.ToLower(f.Wallet.Hex())
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 300)", lock).Scan(&got); err != nil || got.Int64 != 1 {
		return fmt.Errorf("dev funding: lock %s: %v", lock, err)
	}
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK(?)", lock) }()

	key, funder, err := hdwallet.DevAccount(0)
	if err != nil {
		return fmt.Errorf("dev funding: %w", err)
	}
	chainID, err := node.ChainID(ctx)
	if err != nil {
		return fmt.Errorf("dev funding: chain id: %w", err)
	}
	signer := types.LatestSignerForChainID(chainID)
	var ethTx, tokTx *types.Transaction
	logged := false
	for {
		ethBal, err := node.BalanceAt(ctx, f.Wallet, nil)
		if err != nil {
			return fmt.Errorf("dev funding: balance: %w", err)
		}
		tokBal, err := erc20.BalanceOf(ctx, node, f.Token, f.Wallet, nil)
		if err != nil {
			return fmt.Errorf("dev funding: %w", err)
		}
		needETH := lessThanHalf(ethBal, f.ETH)
		needTok := lessThanHalf(tokBal, f.Tokens)
		if !needETH && !needTok {
			if logged {
				log.Info().Str("wallet", f.Wallet.Hex()).Str("eth_wei", ethBal.String()).Str("tokens", tokBal.String()).Msg("development hot wallet funded")
			}
			return nil
		}
		if !logged {
			log.Info().Str("wallet", f.Wallet.Hex()).Msg("development hot wallet short: funding it from development account 0 and waiting for the block")
			logged = true
		}
		if needETH && !known(ctx, node, ethTx) {
			amount := new(big.Int).Sub(f.ETH, ethBal)
			if ethTx, err = devSend(ctx, node, signer, key, funder, f.Wallet, amount, nil); err != nil {
				log.Debug().Err(err).Msg("dev funding: ether transfer refused; retrying")
			}
		}
		if needTok && !known(ctx, node, tokTx) {
			data, err := erc20.TransferCall(f.Wallet, new(big.Int).Sub(f.Tokens, tokBal))
			if err != nil {
				return fmt.Errorf("dev funding: %w", err)
			}
			if tokTx, err = devSend(ctx, node, signer, key, funder, f.Token, nil, data); err != nil {
				log.Debug().Err(err).Msg("dev funding: token transfer refused; retrying")
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("dev funding of %s: %w", f.Wallet.Hex(), ctx.Err())
		case <-time.After(poll):
		}
	}
}

func lessThanHalf(have, target *big.Int) bool {
	return target != nil && target.Sign() > 0 && new(big.Int).Mul(have, big.NewInt(2)).Cmp(target) < 0
}

// known reports whether tx is still in the node's pool or chain.
func known(ctx context.Context, node Node, tx *types.Transaction) bool {
	if tx == nil {
		return false
	}
	got, _, err := node.TransactionByHash(ctx, tx.Hash())
	return err == nil && got != nil
}

// devSend signs and broadcasts one transfer from the development funder at its
// pending nonce.
func devSend(ctx context.Context, node Node, signer types.Signer, key *ecdsa.PrivateKey, from, to common.Address, value *big.Int, data []byte) (*types.Transaction, error) {
	if value == nil {
		value = new(big.Int)
	}
	nonce, err := node.PendingNonceAt(ctx, from)
	if err != nil {
		return nil, fmt.Errorf("pending nonce: %w", err)
	}
	gas, err := node.EstimateGas(ctx, ethereum.CallMsg{From: from, To: &to, Value: value, Data: data})
	if err != nil {
		return nil, fmt.Errorf("estimate gas: %w", err)
	}
	head, err := node.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("head: %w", err)
	}
	tip, err := node.SuggestGasTipCap(ctx)
	if err != nil {
		return nil, fmt.Errorf("tip: %w", err)
	}
	feeCap := new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), tip)
	tx, err := types.SignNewTx(key, signer, &types.DynamicFeeTx{
		ChainID: signer.ChainID(), Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap,
		Gas: gas * 12 / 10, To: &to, Value: value, Data: data,
	})
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	if err := node.SendTransaction(ctx, tx); err != nil {
		return nil, fmt.Errorf("send: %w", err)
	}
	return tx, nil
}
