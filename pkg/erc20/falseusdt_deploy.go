package erc20

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// DeployFalseUSDT sends the creation transaction of a FalseUSDT, the non-reverting test token,
// that mints amountEach base units to every holder; opts.From becomes its issuer, the one
// account that may freeze others. It returns the address the contract will have once the
// transaction is mined.
func DeployFalseUSDT(opts *bind.TransactOpts, backend bind.ContractBackend, holders []common.Address, amountEach *big.Int) (common.Address, *types.Transaction, error) {
	// The generated PackConstructor panics on bad input; pack through the ABI to get an error instead.
	input, err := NewFalseUSDT().GetABI().Pack("", holders, amountEach)
	if err != nil {
		return common.Address{}, nil, fmt.Errorf("pack FalseUSDT constructor: %w", err)
	}
	addr, tx, err := bind.DeployContract(opts, common.FromHex(FalseUSDTMetaData.Bin), backend, input)
	if err != nil {
		return common.Address{}, nil, fmt.Errorf("deploy FalseUSDT: %w", err)
	}
	return addr, tx, nil
}

// SetFrozen sends setFrozen(account, frozen) to the FalseUSDT at token from opts.From, which must
// be its issuer: once mined, every transfer from or to account returns false and moves nothing.
func SetFrozen(opts *bind.TransactOpts, backend bind.ContractBackend, token, account common.Address, frozen bool) (*types.Transaction, error) {
	abi := NewFalseUSDT()
	data, err := abi.TryPackSetFrozen(account, frozen)
	if err != nil {
		return nil, fmt.Errorf("pack setFrozen: %w", err)
	}
	tx, err := bind.Transact(abi.Instance(backend, token), opts, data)
	if err != nil {
		return nil, fmt.Errorf("setFrozen %s on %s: %w", account.Hex(), token.Hex(), err)
	}
	return tx, nil
}
