package erc20

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
)

// maxUint256 is 2^256-1, the largest amount a uint256 argument holds.
var maxUint256 = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))

// ErrAmountOutOfRange is returned for a token amount that is not within 0 < amount <= 2^256-1.
var ErrAmountOutOfRange = errors.New("token amount must be within 0 < amount <= 2^256-1")

// CheckAmount returns ErrAmountOutOfRange unless 0 < amount <= 2^256-1.
//
// go-ethereum's ABI packer does not refuse such amounts: it masks a *big.Int to its low 256
// bits (accounts/abi/pack.go packNum, through common/math.U256Bytes), so 2^256+5 would be
// packed as 5 and -1 as 2^256-1. Call data of the suite is therefore built only from amounts
// checked here first.
func CheckAmount(amount *big.Int) error {
	if amount == nil || amount.Sign() <= 0 || amount.Cmp(maxUint256) > 0 {
		return fmt.Errorf("%w: got %v", ErrAmountOutOfRange, amount)
	}
	return nil
}

// TransferCall is the call data of transfer(to, amount), for any ERC-20 token; amount is in
// base units and must pass CheckAmount.
func TransferCall(to common.Address, amount *big.Int) ([]byte, error) {
	if err := CheckAmount(amount); err != nil {
		return nil, fmt.Errorf("transfer to %s: %w", to.Hex(), err)
	}
	data, err := standard.Pack("transfer", to, amount)
	if err != nil {
		return nil, fmt.Errorf("pack transfer to %s: %w", to.Hex(), err)
	}
	return data, nil
}

// TransferBatchMethod returns the ABI of TestUSDT's transferBatch(address[],uint256[]), to decode
// call data with. It is the test token's extension, not ERC-20's: the suite's own batch transfers
// on the development chain use it.
func TransferBatchMethod() abi.Method { return NewTestUSDT().GetABI().Methods["transferBatch"] }

// TransferBatchCall is the call data of TestUSDT's transferBatch(recipients, amounts); every
// amount must pass CheckAmount.
func TransferBatchCall(recipients []common.Address, amounts []*big.Int) ([]byte, error) {
	if len(recipients) != len(amounts) {
		return nil, fmt.Errorf("transfer batch: %d recipients but %d amounts", len(recipients), len(amounts))
	}
	for i, a := range amounts {
		if err := CheckAmount(a); err != nil {
			return nil, fmt.Errorf("transfer batch, recipient %d (%s): %w", i, recipients[i].Hex(), err)
		}
	}
	data, err := NewTestUSDT().TryPackTransferBatch(recipients, amounts)
	if err != nil {
		return nil, fmt.Errorf("pack transfer batch: %w", err)
	}
	return data, nil
}
