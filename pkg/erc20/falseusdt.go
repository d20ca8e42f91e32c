package erc20

import (
	_ "embed"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// FalseUSDT has no generated binding: tests call it through the standard ERC-20 interface, and
// only its constructor and setFrozen need its own ABI, read here from the compiled artifacts.
var (
	//go:embed FalseUSDT.abi
	falseUSDTABIJSON string
	//go:embed FalseUSDT.bin
	falseUSDTBin string
)

// falseUSDT is the parsed FalseUSDT.abi.
var falseUSDT = mustParseABI("FalseUSDT", falseUSDTABIJSON)

// FalseUSDTABI returns the ABI of FalseUSDT, the non-reverting test token.
func FalseUSDTABI() abi.ABI { return falseUSDT }

// DeployFalseUSDT sends the creation transaction of a FalseUSDT, the non-reverting test token,
// that mints amountEach base units to every holder; opts.From becomes its issuer, the one
// account that may freeze others. It returns the address the contract will have once the
// transaction is mined.
func DeployFalseUSDT(opts *bind.TransactOpts, backend bind.ContractBackend, holders []common.Address, amountEach *big.Int) (common.Address, *types.Transaction, error) {
	input, err := falseUSDT.Pack("", holders, amountEach)
	if err != nil {
		return common.Address{}, nil, fmt.Errorf("pack FalseUSDT constructor: %w", err)
	}
	addr, tx, err := bind.DeployContract(opts, common.FromHex(strings.TrimSpace(falseUSDTBin)), backend, input)
	if err != nil {
		return common.Address{}, nil, fmt.Errorf("deploy FalseUSDT: %w", err)
	}
	return addr, tx, nil
}

// SetFrozen sends setFrozen(account, frozen) to the FalseUSDT at token from opts.From, which must
// be its issuer: once mined, every transfer from or to account returns false and moves nothing.
func SetFrozen(opts *bind.TransactOpts, backend bind.ContractBackend, token, account common.Address, frozen bool) (*types.Transaction, error) {
	data, err := falseUSDT.Pack("setFrozen", account, frozen)
	if err != nil {
		return nil, fmt.Errorf("pack setFrozen: %w", err)
	}
	tx, err := bind.Transact(bind.NewBoundContract(token, falseUSDT, backend, backend, backend), opts, data)
	if err != nil {
		return nil, fmt.Errorf("setFrozen %s on %s: %w", account.Hex(), token.Hex(), err)
	}
	return tx, nil
}
