package devchain

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"

	"paysuite/pkg/hdwallet"
)

// errImpersonation explains why the chain cannot send for an address whose key it does not hold:
// go-ethereum's pool, miner and block validation all recover the sender from the signature, so an
// unsigned transaction can never enter a block.
var errImpersonation = errors.New("impersonating an account without its key is not supported by this chain " +
	"(go-ethereum accepts only signed transactions); it signs for its development accounts (eth_accounts) only")

// txArgs is the transaction object of eth_sendTransaction and eth_signTransaction. Fields left out
// are filled in: the nonce from the pool, fees from the head's base fee and the suggested tip, gas by
// estimation.
type txArgs struct {
	From                 *common.Address   `json:"from"`
	To                   *common.Address   `json:"to"`
	Gas                  *hexutil.Uint64   `json:"gas"`
	GasPrice             *hexutil.Big      `json:"gasPrice"`
	MaxFeePerGas         *hexutil.Big      `json:"maxFeePerGas"`
	MaxPriorityFeePerGas *hexutil.Big      `json:"maxPriorityFeePerGas"`
	Value                *hexutil.Big      `json:"value"`
	Nonce                *hexutil.Uint64   `json:"nonce"`
	Data                 *hexutil.Bytes    `json:"data"`
	Input                *hexutil.Bytes    `json:"input"`
	AccessList           *types.AccessList `json:"accessList"`
	ChainID              *hexutil.Big      `json:"chainId"`
	// Blob and set-code transactions are not built here: refused rather than sent without them.
	BlobHashes        json.RawMessage `json:"blobVersionedHashes"`
	Blobs             json.RawMessage `json:"blobs"`
	AuthorizationList json.RawMessage `json:"authorizationList"`
}

// signerKey returns the key of development account addr, or errImpersonation for any other address.
func (c *Chain) signerKey(addr common.Address) (*ecdsa.PrivateKey, error) {
	accounts, err := devAccounts()
	if err != nil {
		return nil, err
	}
	i := slices.Index(accounts, addr)
	if i < 0 {
		return nil, fmt.Errorf("%s is not a development account: %w", addr, errImpersonation)
	}
	key, _, err := hdwallet.DevAccount(i)
	if err != nil {
		return nil, fmt.Errorf("development account %d: %w", i, err)
	}
	return key, nil
}

// signTx fills in what args leaves out and signs the transaction with the sender's key.
func (c *Chain) signTx(ctx context.Context, args txArgs) (*types.Transaction, error) {
	if args.From == nil {
		// Anvil would pick account 0, which belongs to the suite in development mode: a wrong nonce
		// there would break its start-up funding.
		return nil, errors.New("missing from: name the sending development account")
	}
	key, err := c.signerKey(*args.From)
	if err != nil {
		return nil, err
	}
	if args.ChainID != nil && args.ChainID.ToInt().Cmp(c.chainID) != 0 {
		return nil, fmt.Errorf("chainId %s: this chain's id is %s", args.ChainID.ToInt(), c.chainID)
	}
	if !isNull(args.BlobHashes) || !isNull(args.Blobs) || !isNull(args.AuthorizationList) {
		return nil, errors.New("blob and set-code (EIP-7702) transactions: sign them yourself and use eth_sendRawTransaction")
	}
	var data []byte
	switch {
	case args.Data != nil && args.Input != nil && !bytes.Equal(*args.Data, *args.Input):
		return nil, errors.New("both data and input given, and they differ")
	case args.Input != nil:
		data = *args.Input
	case args.Data != nil:
		data = *args.Data
	}
	if args.GasPrice != nil && (args.MaxFeePerGas != nil || args.MaxPriorityFeePerGas != nil) {
		return nil, errors.New("both gasPrice and maxFeePerGas/maxPriorityFeePerGas given")
	}
	value := new(big.Int)
	if args.Value != nil {
		value = args.Value.ToInt()
	}
	var nonce uint64
	if args.Nonce != nil {
		nonce = uint64(*args.Nonce)
	} else {
		nonce = c.backend.TxPool().PoolNonce(*args.From)
	}

	client := ethclient.NewClient(c.stack.Attach())
	defer client.Close()
	msg := ethereum.CallMsg{From: *args.From, To: args.To, Value: value, Data: data}
	if args.AccessList != nil {
		msg.AccessList = *args.AccessList
	}
	if args.GasPrice != nil {
		msg.GasPrice = args.GasPrice.ToInt()
	} else {
		head := c.backend.BlockChain().CurrentBlock()
		tip := (*big.Int)(args.MaxPriorityFeePerGas)
		if tip == nil {
			if tip, err = client.SuggestGasTipCap(ctx); err != nil {
				return nil, fmt.Errorf("suggest priority fee: %w", err)
			}
		}
		feeCap := (*big.Int)(args.MaxFeePerGas)
		if feeCap == nil {
			// Room for the base fee to double before the transaction is mined, as go-ethereum fills it.
			feeCap = new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), tip)
		}
		if feeCap.Cmp(tip) < 0 {
			return nil, fmt.Errorf("maxFeePerGas %s below maxPriorityFeePerGas %s", feeCap, tip)
		}
		msg.GasFeeCap, msg.GasTipCap = feeCap, tip
	}
	gas := uint64(0)
	if args.Gas != nil {
		gas = uint64(*args.Gas)
	} else if gas, err = client.EstimateGas(ctx, msg); err != nil {
		return nil, fmt.Errorf("estimate gas: %w", err)
	}

	var inner types.TxData
	switch {
	case msg.GasPrice != nil && args.AccessList == nil:
		inner = &types.LegacyTx{Nonce: nonce, GasPrice: msg.GasPrice, Gas: gas, To: args.To, Value: value, Data: data}
	case msg.GasPrice != nil:
		inner = &types.AccessListTx{ChainID: c.chainID, Nonce: nonce, GasPrice: msg.GasPrice, Gas: gas,
			To: args.To, Value: value, Data: data, AccessList: msg.AccessList}
	default:
		inner = &types.DynamicFeeTx{ChainID: c.chainID, Nonce: nonce, GasTipCap: msg.GasTipCap, GasFeeCap: msg.GasFeeCap,
			Gas: gas, To: args.To, Value: value, Data: data, AccessList: msg.AccessList}
	}
	tx, err := types.SignNewTx(key, types.LatestSignerForChainID(c.chainID), inner)
	if err != nil {
		return nil, fmt.Errorf("sign transaction: %w", err)
	}
	return tx, nil
}

// sendTransaction signs a transaction from a development account and adds it to the pool.
func (c *Chain) sendTransaction(ctx context.Context, args txArgs) (common.Hash, error) {
	// One call at a time, so that two calls for one sender do not read the same pool nonce.
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	tx, err := c.signTx(ctx, args)
	if err != nil {
		return common.Hash{}, err
	}
	// Added synchronously: the pool's nonce for the sender counts it before the next call reads it.
	if err := c.backend.TxPool().Add([]*types.Transaction{tx}, true)[0]; err != nil {
		return common.Hash{}, fmt.Errorf("add transaction %s: %w", tx.Hash(), err)
	}
	c.log.Debug().Str("tx_hash", tx.Hash().Hex()).Str("from", args.From.Hex()).Uint64("nonce", tx.Nonce()).Msg("devchain sent transaction")
	return tx.Hash(), nil
}

// signText signs data as an EIP-191 personal message (eth_sign, personal_sign), with v as 27 or 28.
func (c *Chain) signText(addr common.Address, data []byte) (hexutil.Bytes, error) {
	key, err := c.signerKey(addr)
	if err != nil {
		return nil, err
	}
	return signHash(key, accounts.TextHash(data))
}

// signTypedData signs EIP-712 typed data, given as a JSON object or as a string holding one.
func (c *Chain) signTypedData(addr common.Address, raw json.RawMessage) (hexutil.Bytes, error) {
	key, err := c.signerKey(addr)
	if err != nil {
		return nil, err
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("typed data: %w", err)
		}
		raw = []byte(s)
	}
	var data apitypes.TypedData
	if err := json.Unmarshal(raw, &data); err != nil {
		return nil, fmt.Errorf("typed data: %w", err)
	}
	hash, _, err := apitypes.TypedDataAndHash(data)
	if err != nil {
		return nil, fmt.Errorf("typed data: %w", err)
	}
	return signHash(key, hash)
}

// signHash signs a 32-byte hash and returns the signature with v as 27 or 28, as wallets give it.
func signHash(key *ecdsa.PrivateKey, hash []byte) (hexutil.Bytes, error) {
	sig, err := crypto.Sign(hash, key)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	sig[crypto.RecoveryIDOffset] += 27
	return sig, nil
}

// isNull reports whether a raw JSON value is absent or null.
func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || bytes.Equal(raw, []byte("null"))
}
