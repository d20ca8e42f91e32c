// Code generated via abigen V2 - DO NOT EDIT.
// This file is a generated binding and any manual changes will be lost.

package erc20

import (
	"bytes"
	"errors"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Reference imports to suppress errors if they are not otherwise used.
var (
	_ = bytes.Equal
	_ = errors.New
	_ = big.NewInt
	_ = common.Big1
	_ = types.BloomLookup
	_ = abi.ConvertType
)

// TestUSDTMetaData contains all meta data concerning the TestUSDT contract.
var TestUSDTMetaData = bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"address[]\",\"name\":\"holders\",\"type\":\"address[]\"},{\"internalType\":\"uint256\",\"name\":\"amountEach\",\"type\":\"uint256\"}],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"spender\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"value\",\"type\":\"uint256\"}],\"name\":\"Approval\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"from\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"value\",\"type\":\"uint256\"}],\"name\":\"Transfer\",\"type\":\"event\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"allowance\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"spender\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"value\",\"type\":\"uint256\"}],\"name\":\"approve\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"balanceOf\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"decimals\",\"outputs\":[{\"internalType\":\"uint8\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"name\",\"outputs\":[{\"internalType\":\"string\",\"name\":\"\",\"type\":\"string\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"symbol\",\"outputs\":[{\"internalType\":\"string\",\"name\":\"\",\"type\":\"string\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"totalSupply\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"value\",\"type\":\"uint256\"}],\"name\":\"transfer\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address[]\",\"name\":\"recipients\",\"type\":\"address[]\"},{\"internalType\":\"uint256[]\",\"name\":\"values\",\"type\":\"uint256[]\"}],\"name\":\"transferBatch\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"from\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"value\",\"type\":\"uint256\"}],\"name\":\"transferFrom\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"}]",
	ID:  "TestUSDT",
	Bin: "0x608060405234801561000f575f5ffd5b50604051610a82380380610a8283398101604081905261002e916101d0565b5f5b8251811015610199575f6001600160a01b0316838281518110610055576100556102a4565b60200260200101516001600160a01b0316036100c25760405162461bcd60e51b815260206004820152602260248201527f54657374555344543a206d696e7420746f20746865207a65726f206164647265604482015261737360f01b606482015260840160405180910390fd5b815f5f8282546100d291906102b8565b925050819055508160015f8584815181106100ef576100ef6102a4565b60200260200101516001600160a01b03166001600160a01b031681526020019081526020015f205f82825461012491906102b8565b9250508190555082818151811061013d5761013d6102a4565b60200260200101516001600160a01b03165f6001600160a01b03167fddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef8460405161018991815260200190565b60405180910390a3600101610030565b5050506102dd565b634e487b7160e01b5f52604160045260245ffd5b80516001600160a01b03811681146101cb575f5ffd5b919050565b5f5f604083850312156101e1575f5ffd5b82516001600160401b038111156101f6575f5ffd5b8301601f81018513610206575f5ffd5b80516001600160401b0381111561021f5761021f6101a1565b604051600582901b90603f8201601f191681016001600160401b038111828210171561024d5761024d6101a1565b60405291825260208184018101929081018884111561026a575f5ffd5b6020850194505b8385101561029057610282856101b5565b815260209485019401610271565b506020969096015195979596505050505050565b634e487b7160e01b5f52603260045260245ffd5b808201808211156102d757634e487b7160e01b5f52601160045260245ffd5b92915050565b610798806102ea5f395ff3fe608060405234801561000f575f5ffd5b506004361061009b575f3560e01c80633b3e672f116100635780633b3e672f1461014b57806370a082311461015e57806395d89b411461017d578063a9059cbb146101a0578063dd62ed3e146101b3575f5ffd5b806306fdde031461009f578063095ea7b3146100e557806318160ddd1461010857806323b872dd1461011e578063313ce56714610131575b5f5ffd5b6100cf60405180604001604052806011815260200170546574686572205553442028746573742960781b81525081565b6040516100dc9190610593565b60405180910390f35b6100f86100f33660046105e3565b6101dd565b60405190151581526020016100dc565b6101105f5481565b6040519081526020016100dc565b6100f861012c36600461060b565b6102ab565b610139600681565b60405160ff90911681526020016100dc565b6100f861015936600461068d565b61036a565b61011061016c3660046106f9565b60016020525f908152604090205481565b6100cf604051806040016040528060048152602001631554d11560e21b81525081565b6100f86101ae3660046105e3565b610421565b6101106101c1366004610719565b600260209081525f928352604080842090915290825290205481565b5f6001600160a01b0383166102475760405162461bcd60e51b815260206004820152602560248201527f54657374555344543a20617070726f766520746f20746865207a65726f206164604482015264647265737360d81b60648201526084015b60405180910390fd5b335f8181526002602090815260408083206001600160a01b03881680855290835292819020869055518581529192917f8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925910160405180910390a35060015b92915050565b6001600160a01b0383165f9081526002602090815260408083203384529091528120545f19811461035457828110156103265760405162461bcd60e51b815260206004820181905260248201527f54657374555344543a20696e73756666696369656e7420616c6c6f77616e6365604482015260640161023e565b610330838261075e565b6001600160a01b0386165f9081526002602090815260408083203384529091529020555b61035f858585610436565b506001949350505050565b5f8382146103ba5760405162461bcd60e51b815260206004820152601960248201527f54657374555344543a206c656e677468206d69736d6174636800000000000000604482015260640161023e565b5f5b848110156104155761040d338787848181106103da576103da610771565b90506020020160208101906103ef91906106f9565b86868581811061040157610401610771565b90506020020135610436565b6001016103bc565b50600195945050505050565b5f61042d338484610436565b50600192915050565b6001600160a01b03821661049b5760405162461bcd60e51b815260206004820152602660248201527f54657374555344543a207472616e7366657220746f20746865207a65726f206160448201526564647265737360d01b606482015260840161023e565b6001600160a01b0383165f90815260016020526040902054818110156105035760405162461bcd60e51b815260206004820152601e60248201527f54657374555344543a20696e73756666696369656e742062616c616e63650000604482015260640161023e565b6001600160a01b038085165f90815260016020526040808220858503905591851681529081208054849290610539908490610785565b92505081905550826001600160a01b0316846001600160a01b03167fddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef8460405161058591815260200190565b60405180910390a350505050565b602081525f82518060208401528060208501604085015e5f604082850101526040601f19601f83011684010191505092915050565b80356001600160a01b03811681146105de575f5ffd5b919050565b5f5f604083850312156105f4575f5ffd5b6105fd836105c8565b946020939093013593505050565b5f5f5f6060848603121561061d575f5ffd5b610626846105c8565b9250610634602085016105c8565b929592945050506040919091013590565b5f5f83601f840112610655575f5ffd5b50813567ffffffffffffffff81111561066c575f5ffd5b6020830191508360208260051b8501011115610686575f5ffd5b9250929050565b5f5f5f5f604085870312156106a0575f5ffd5b843567ffffffffffffffff8111156106b6575f5ffd5b6106c287828801610645565b909550935050602085013567ffffffffffffffff8111156106e1575f5ffd5b6106ed87828801610645565b95989497509550505050565b5f60208284031215610709575f5ffd5b610712826105c8565b9392505050565b5f5f6040838503121561072a575f5ffd5b610733836105c8565b9150610741602084016105c8565b90509250929050565b634e487b7160e01b5f52601160045260245ffd5b818103818111156102a5576102a561074a565b634e487b7160e01b5f52603260045260245ffd5b808201808211156102a5576102a561074a56",
}

// TestUSDT is an auto generated Go binding around an Ethereum contract.
type TestUSDT struct {
	abi abi.ABI
}

// GetABI returns the ABI associated with this contract binding.
func (c *TestUSDT) GetABI() abi.ABI {
	return c.abi
}

// NewTestUSDT creates a new instance of TestUSDT.
func NewTestUSDT() *TestUSDT {
	parsed, err := TestUSDTMetaData.ParseABI()
	if err != nil {
		panic(errors.New("invalid ABI: " + err.Error()))
	}
	return &TestUSDT{abi: *parsed}
}

// Instance creates a wrapper for a deployed contract instance at the given address.
// Use this to create the instance object passed to abigen v2 library functions Call, Transact, etc.
func (c *TestUSDT) Instance(backend bind.ContractBackend, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, c.abi, backend, backend, backend)
}

// PackConstructor is the Go binding used to pack the parameters required for
// contract deployment.
//
// Solidity: constructor(address[] holders, uint256 amountEach) returns()
func (testUSDT *TestUSDT) PackConstructor(holders []common.Address, amountEach *big.Int) []byte {
	enc, err := testUSDT.abi.Pack("", holders, amountEach)
	if err != nil {
		panic(err)
	}
	return enc
}

// PackAllowance is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xdd62ed3e.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function allowance(address , address ) view returns(uint256)
func (testUSDT *TestUSDT) PackAllowance(arg0 common.Address, arg1 common.Address) []byte {
	enc, err := testUSDT.abi.Pack("allowance", arg0, arg1)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackAllowance is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xdd62ed3e.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function allowance(address , address ) view returns(uint256)
func (testUSDT *TestUSDT) TryPackAllowance(arg0 common.Address, arg1 common.Address) ([]byte, error) {
	return testUSDT.abi.Pack("allowance", arg0, arg1)
}

// UnpackAllowance is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xdd62ed3e.
//
// Solidity: function allowance(address , address ) view returns(uint256)
func (testUSDT *TestUSDT) UnpackAllowance(data []byte) (*big.Int, error) {
	out, err := testUSDT.abi.Unpack("allowance", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackApprove is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x095ea7b3.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function approve(address spender, uint256 value) returns(bool)
func (testUSDT *TestUSDT) PackApprove(spender common.Address, value *big.Int) []byte {
	enc, err := testUSDT.abi.Pack("approve", spender, value)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackApprove is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x095ea7b3.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function approve(address spender, uint256 value) returns(bool)
func (testUSDT *TestUSDT) TryPackApprove(spender common.Address, value *big.Int) ([]byte, error) {
	return testUSDT.abi.Pack("approve", spender, value)
}

// UnpackApprove is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x095ea7b3.
//
// Solidity: function approve(address spender, uint256 value) returns(bool)
func (testUSDT *TestUSDT) UnpackApprove(data []byte) (bool, error) {
	out, err := testUSDT.abi.Unpack("approve", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// PackBalanceOf is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x70a08231.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function balanceOf(address ) view returns(uint256)
func (testUSDT *TestUSDT) PackBalanceOf(arg0 common.Address) []byte {
	enc, err := testUSDT.abi.Pack("balanceOf", arg0)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackBalanceOf is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x70a08231.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function balanceOf(address ) view returns(uint256)
func (testUSDT *TestUSDT) TryPackBalanceOf(arg0 common.Address) ([]byte, error) {
	return testUSDT.abi.Pack("balanceOf", arg0)
}

// UnpackBalanceOf is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x70a08231.
//
// Solidity: function balanceOf(address ) view returns(uint256)
func (testUSDT *TestUSDT) UnpackBalanceOf(data []byte) (*big.Int, error) {
	out, err := testUSDT.abi.Unpack("balanceOf", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackDecimals is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x313ce567.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function decimals() view returns(uint8)
func (testUSDT *TestUSDT) PackDecimals() []byte {
	enc, err := testUSDT.abi.Pack("decimals")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackDecimals is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x313ce567.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function decimals() view returns(uint8)
func (testUSDT *TestUSDT) TryPackDecimals() ([]byte, error) {
	return testUSDT.abi.Pack("decimals")
}

// UnpackDecimals is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x313ce567.
//
// Solidity: function decimals() view returns(uint8)
func (testUSDT *TestUSDT) UnpackDecimals(data []byte) (uint8, error) {
	out, err := testUSDT.abi.Unpack("decimals", data)
	if err != nil {
		return *new(uint8), err
	}
	out0 := *abi.ConvertType(out[0], new(uint8)).(*uint8)
	return out0, nil
}

// PackName is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x06fdde03.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function name() view returns(string)
func (testUSDT *TestUSDT) PackName() []byte {
	enc, err := testUSDT.abi.Pack("name")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackName is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x06fdde03.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function name() view returns(string)
func (testUSDT *TestUSDT) TryPackName() ([]byte, error) {
	return testUSDT.abi.Pack("name")
}

// UnpackName is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x06fdde03.
//
// Solidity: function name() view returns(string)
func (testUSDT *TestUSDT) UnpackName(data []byte) (string, error) {
	out, err := testUSDT.abi.Unpack("name", data)
	if err != nil {
		return *new(string), err
	}
	out0 := *abi.ConvertType(out[0], new(string)).(*string)
	return out0, nil
}

// PackSymbol is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x95d89b41.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function symbol() view returns(string)
func (testUSDT *TestUSDT) PackSymbol() []byte {
	enc, err := testUSDT.abi.Pack("symbol")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSymbol is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x95d89b41.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function symbol() view returns(string)
func (testUSDT *TestUSDT) TryPackSymbol() ([]byte, error) {
	return testUSDT.abi.Pack("symbol")
}

// UnpackSymbol is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x95d89b41.
//
// Solidity: function symbol() view returns(string)
func (testUSDT *TestUSDT) UnpackSymbol(data []byte) (string, error) {
	out, err := testUSDT.abi.Unpack("symbol", data)
	if err != nil {
		return *new(string), err
	}
	out0 := *abi.ConvertType(out[0], new(string)).(*string)
	return out0, nil
}

// PackTotalSupply is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x18160ddd.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function totalSupply() view returns(uint256)
func (testUSDT *TestUSDT) PackTotalSupply() []byte {
	enc, err := testUSDT.abi.Pack("totalSupply")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackTotalSupply is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x18160ddd.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function totalSupply() view returns(uint256)
func (testUSDT *TestUSDT) TryPackTotalSupply() ([]byte, error) {
	return testUSDT.abi.Pack("totalSupply")
}

// UnpackTotalSupply is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x18160ddd.
//
// Solidity: function totalSupply() view returns(uint256)
func (testUSDT *TestUSDT) UnpackTotalSupply(data []byte) (*big.Int, error) {
	out, err := testUSDT.abi.Unpack("totalSupply", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackTransfer is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa9059cbb.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function transfer(address to, uint256 value) returns(bool)
func (testUSDT *TestUSDT) PackTransfer(to common.Address, value *big.Int) []byte {
	enc, err := testUSDT.abi.Pack("transfer", to, value)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackTransfer is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa9059cbb.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function transfer(address to, uint256 value) returns(bool)
func (testUSDT *TestUSDT) TryPackTransfer(to common.Address, value *big.Int) ([]byte, error) {
	return testUSDT.abi.Pack("transfer", to, value)
}

// UnpackTransfer is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xa9059cbb.
//
// Solidity: function transfer(address to, uint256 value) returns(bool)
func (testUSDT *TestUSDT) UnpackTransfer(data []byte) (bool, error) {
	out, err := testUSDT.abi.Unpack("transfer", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// PackTransferBatch is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x3b3e672f.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function transferBatch(address[] recipients, uint256[] values) returns(bool)
func (testUSDT *TestUSDT) PackTransferBatch(recipients []common.Address, values []*big.Int) []byte {
	enc, err := testUSDT.abi.Pack("transferBatch", recipients, values)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackTransferBatch is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x3b3e672f.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function transferBatch(address[] recipients, uint256[] values) returns(bool)
func (testUSDT *TestUSDT) TryPackTransferBatch(recipients []common.Address, values []*big.Int) ([]byte, error) {
	return testUSDT.abi.Pack("transferBatch", recipients, values)
}

// UnpackTransferBatch is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x3b3e672f.
//
// Solidity: function transferBatch(address[] recipients, uint256[] values) returns(bool)
func (testUSDT *TestUSDT) UnpackTransferBatch(data []byte) (bool, error) {
	out, err := testUSDT.abi.Unpack("transferBatch", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// PackTransferFrom is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x23b872dd.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function transferFrom(address from, address to, uint256 value) returns(bool)
func (testUSDT *TestUSDT) PackTransferFrom(from common.Address, to common.Address, value *big.Int) []byte {
	enc, err := testUSDT.abi.Pack("transferFrom", from, to, value)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackTransferFrom is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x23b872dd.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function transferFrom(address from, address to, uint256 value) returns(bool)
func (testUSDT *TestUSDT) TryPackTransferFrom(from common.Address, to common.Address, value *big.Int) ([]byte, error) {
	return testUSDT.abi.Pack("transferFrom", from, to, value)
}

// UnpackTransferFrom is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x23b872dd.
//
// Solidity: function transferFrom(address from, address to, uint256 value) returns(bool)
func (testUSDT *TestUSDT) UnpackTransferFrom(data []byte) (bool, error) {
	out, err := testUSDT.abi.Unpack("transferFrom", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// TestUSDTApproval represents a Approval event raised by the TestUSDT contract.
type TestUSDTApproval struct {
	Owner   common.Address
	Spender common.Address
	Value   *big.Int
	Raw     *types.Log // Blockchain specific contextual infos
}

const TestUSDTApprovalEventName = "Approval"

// ContractEventName returns the user-defined event name.
func (TestUSDTApproval) ContractEventName() string {
	return TestUSDTApprovalEventName
}

// UnpackApprovalEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event Approval(address indexed owner, address indexed spender, uint256 value)
func (testUSDT *TestUSDT) UnpackApprovalEvent(log *types.Log) (*TestUSDTApproval, error) {
	event := "Approval"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != testUSDT.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(TestUSDTApproval)
	if len(log.Data) > 0 {
		if err := testUSDT.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range testUSDT.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// TestUSDTTransfer represents a Transfer event raised by the TestUSDT contract.
type TestUSDTTransfer struct {
	From  common.Address
	To    common.Address
	Value *big.Int
	Raw   *types.Log // Blockchain specific contextual infos
}

const TestUSDTTransferEventName = "Transfer"

// ContractEventName returns the user-defined event name.
func (TestUSDTTransfer) ContractEventName() string {
	return TestUSDTTransferEventName
}

// UnpackTransferEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event Transfer(address indexed from, address indexed to, uint256 value)
func (testUSDT *TestUSDT) UnpackTransferEvent(log *types.Log) (*TestUSDTTransfer, error) {
	event := "Transfer"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != testUSDT.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(TestUSDTTransfer)
	if len(log.Data) > 0 {
		if err := testUSDT.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range testUSDT.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}
