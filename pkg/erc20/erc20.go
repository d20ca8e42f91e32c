// Package erc20 holds the standard ERC-20 interface the suite's production code calls tokens through
// (the balance reader, the range-checked builder of transfer call data, the Transfer event), and the
// test tokens (the test USDT of the development chain, and FalseUSDT, which returns false instead of
// reverting: sources, compiled artifacts and Go bindings) with small helpers to deploy and move them.
package erc20

//go:generate bash generate.sh

import (
	"context"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// DevTokenAddress is where the development chain deploys the test USDT: account 0 of the development
// mnemonic creates it at nonce 0.
const DevTokenAddress = "0x5FbDB2315678afecb367f032d93F642f64180aa3"

// Decimals and BSCDecimals are the decimals of the test USDT on the development chains ETH and BSC, as
// of the real USDT on Ethereum and on BNB Smart Chain.
const (
	Decimals    = 6
	BSCDecimals = 18
)

// Deploy sends the creation transaction of a TestUSDT with the given decimals that mints amountEach
// base units to every holder.
// It returns the address the contract will have once the transaction is mined.
func Deploy(opts *bind.TransactOpts, backend bind.ContractBackend, holders []common.Address, amountEach *big.Int, decimals uint8) (common.Address, *types.Transaction, error) {
	parsed := NewTestUSDT().GetABI()
	// The generated PackConstructor panics on bad input; pack through the ABI to get an error instead.
	input, err := parsed.Pack("", holders, amountEach, decimals)
	if err != nil {
		return common.Address{}, nil, fmt.Errorf("pack TestUSDT constructor: %w", err)
	}
	addr, tx, err := bind.DeployContract(opts, common.FromHex(TestUSDTMetaData.Bin), backend, input)
	if err != nil {
		return common.Address{}, nil, fmt.Errorf("deploy TestUSDT: %w", err)
	}
	return addr, tx, nil
}

// Token reads and transfers an ERC-20 token at a fixed address through a contract backend, for
// tests and tools: its calls other than BalanceOf and Transfer go through the test token's binding,
// which has the standard ERC-20 methods too.
type Token struct {
	addr     common.Address
	abi      *TestUSDT
	backend  bind.ContractBackend
	contract *bind.BoundContract
}

// NewToken binds the ERC-20 token at addr. Only the standard ERC-20 methods are used, so any
// compliant token works, not only TestUSDT.
func NewToken(addr common.Address, backend bind.ContractBackend) *Token {
	abi := NewTestUSDT()
	return &Token{addr: addr, abi: abi, backend: backend, contract: abi.Instance(backend, addr)}
}

// Address returns the token contract's address.
func (t *Token) Address() common.Address {
	return t.addr
}

// BalanceOf returns owner's balance in base units at the latest block.
func (t *Token) BalanceOf(ctx context.Context, owner common.Address) (*big.Int, error) {
	return BalanceOf(ctx, t.backend, t.addr, owner, nil)
}

// TotalSupply returns the token's total supply in base units at the latest block.
func (t *Token) TotalSupply(ctx context.Context) (*big.Int, error) {
	supply, err := bind.Call(t.contract, &bind.CallOpts{Context: ctx}, t.abi.PackTotalSupply(), t.abi.UnpackTotalSupply)
	if err != nil {
		return nil, fmt.Errorf("totalSupply of %s: %w", t.addr, err)
	}
	return supply, nil
}

// Decimals returns the token's decimals as the contract reports them.
func (t *Token) Decimals(ctx context.Context) (uint8, error) {
	d, err := bind.Call(t.contract, &bind.CallOpts{Context: ctx}, t.abi.PackDecimals(), t.abi.UnpackDecimals)
	if err != nil {
		return 0, fmt.Errorf("decimals of %s: %w", t.addr, err)
	}
	return d, nil
}

// Symbol returns the token's symbol as the contract reports it.
func (t *Token) Symbol(ctx context.Context) (string, error) {
	s, err := bind.Call(t.contract, &bind.CallOpts{Context: ctx}, t.abi.PackSymbol(), t.abi.UnpackSymbol)
	if err != nil {
		return "", fmt.Errorf("symbol of %s: %w", t.addr, err)
	}
	return s, nil
}

// Transfer signs and sends transfer(to, amount) from opts.From; amount is in base units and must
// pass CheckAmount. The transaction is only sent, not waited for.
func (t *Token) Transfer(opts *bind.TransactOpts, to common.Address, amount *big.Int) (*types.Transaction, error) {
	data, err := TransferCall(to, amount)
	if err != nil {
		return nil, err
	}
	tx, err := bind.Transact(t.contract, opts, data)
	if err != nil {
		return nil, fmt.Errorf("transfer %s of %s to %s: %w", amount, t.addr, to, err)
	}
	return tx, nil
}

// ParseTransfer decodes an ERC-20 Transfer log of any token; it fails on any other log.
func (t *Token) ParseTransfer(log *types.Log) (*TestUSDTTransfer, error) {
	ev, err := t.abi.UnpackTransferEvent(log)
	if err != nil {
		return nil, fmt.Errorf("decode Transfer log %s#%d: %w", log.TxHash, log.Index, err)
	}
	return ev, nil
}
