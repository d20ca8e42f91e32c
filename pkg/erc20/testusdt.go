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
	ABI: "[{\"inputs\":[{\"internalType\":\"address[]\",\"name\":\"holders\",\"type\":\"address[]\"},{\"internalType\":\"uint256\",\"name\":\"amountEach\",\"type\":\"uint256\"},{\"internalType\":\"uint8\",\"name\":\"decimals_\",\"type\":\"uint8\"}],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"spender\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"value\",\"type\":\"uint256\"}],\"name\":\"Approval\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"from\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"value\",\"type\":\"uint256\"}],\"name\":\"Transfer\",\"type\":\"event\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"allowance\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"spender\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"value\",\"type\":\"uint256\"}],\"name\":\"approve\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"balanceOf\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"decimals\",\"outputs\":[{\"internalType\":\"uint8\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"name\",\"outputs\":[{\"internalType\":\"string\",\"name\":\"\",\"type\":\"string\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"symbol\",\"outputs\":[{\"internalType\":\"string\",\"name\":\"\",\"type\":\"string\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"totalSupply\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"value\",\"type\":\"uint256\"}],\"name\":\"transfer\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address[]\",\"name\":\"recipients\",\"type\":\"address[]\"},{\"internalType\":\"uint256[]\",\"name\":\"values\",\"type\":\"uint256[]\"}],\"name\":\"transferBatch\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"from\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"value\",\"type\":\"uint256\"}],\"name\":\"transferFrom\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"}]",
	ID:  "TestUSDT",
	Bin: "0x60a060405234801561000f575f5ffd5b50604051610ad6380380610ad683398101604081905261002e916101e8565b60ff81166080525f5b83518110156101a0575f6001600160a01b031684828151811061005c5761005c6102ce565b60200260200101516001600160a01b0316036100c95760405162461bcd60e51b815260206004820152602260248201527f54657374555344543a206d696e7420746f20746865207a65726f206164647265604482015261737360f01b606482015260840160405180910390fd5b825f5f8282546100d991906102e2565b925050819055508260015f8684815181106100f6576100f66102ce565b60200260200101516001600160a01b03166001600160a01b031681526020019081526020015f205f82825461012b91906102e2565b92505081905550838181518110610144576101446102ce565b60200260200101516001600160a01b03165f6001600160a01b03167fddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef8560405161019091815260200190565b60405180910390a3600101610037565b50505050610307565b634e487b7160e01b5f52604160045260245ffd5b80516001600160a01b03811681146101d3575f5ffd5b919050565b805160ff811681146101d3575f5ffd5b5f5f5f606084860312156101fa575f5ffd5b83516001600160401b0381111561020f575f5ffd5b8401601f8101861361021f575f5ffd5b80516001600160401b03811115610238576102386101a9565b604051600582901b90603f8201601f191681016001600160401b0381118282101715610266576102666101a9565b604052918252602081840181019290810189841115610283575f5ffd5b6020850194505b838510156102a95761029b856101bd565b81526020948501940161028a565b50602088015190965094506102c59250506040860190506101d8565b90509250925092565b634e487b7160e01b5f52603260045260245ffd5b8082018082111561030157634e487b7160e01b5f52601160045260245ffd5b92915050565b6080516107b761031f5f395f61013601526107b75ff3fe608060405234801561000f575f5ffd5b506004361061009b575f3560e01c80633b3e672f116100635780633b3e672f1461016a57806370a082311461017d57806395d89b411461019c578063a9059cbb146101bf578063dd62ed3e146101d2575f5ffd5b806306fdde031461009f578063095ea7b3146100e557806318160ddd1461010857806323b872dd1461011e578063313ce56714610131575b5f5ffd5b6100cf60405180604001604052806011815260200170546574686572205553442028746573742960781b81525081565b6040516100dc91906105b2565b60405180910390f35b6100f86100f3366004610602565b6101fc565b60405190151581526020016100dc565b6101105f5481565b6040519081526020016100dc565b6100f861012c36600461062a565b6102ca565b6101587f000000000000000000000000000000000000000000000000000000000000000081565b60405160ff90911681526020016100dc565b6100f86101783660046106ac565b610389565b61011061018b366004610718565b60016020525f908152604090205481565b6100cf604051806040016040528060048152602001631554d11560e21b81525081565b6100f86101cd366004610602565b610440565b6101106101e0366004610738565b600260209081525f928352604080842090915290825290205481565b5f6001600160a01b0383166102665760405162461bcd60e51b815260206004820152602560248201527f54657374555344543a20617070726f766520746f20746865207a65726f206164604482015264647265737360d81b60648201526084015b60405180910390fd5b335f8181526002602090815260408083206001600160a01b03881680855290835292819020869055518581529192917f8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925910160405180910390a35060015b92915050565b6001600160a01b0383165f9081526002602090815260408083203384529091528120545f19811461037357828110156103455760405162461bcd60e51b815260206004820181905260248201527f54657374555344543a20696e73756666696369656e7420616c6c6f77616e6365604482015260640161025d565b61034f838261077d565b6001600160a01b0386165f9081526002602090815260408083203384529091529020555b61037e858585610455565b506001949350505050565b5f8382146103d95760405162461bcd60e51b815260206004820152601960248201527f54657374555344543a206c656e677468206d69736d6174636800000000000000604482015260640161025d565b5f5b848110156104345761042c338787848181106103f9576103f9610790565b905060200201602081019061040e9190610718565b86868581811061042057610420610790565b90506020020135610455565b6001016103db565b50600195945050505050565b5f61044c338484610455565b50600192915050565b6001600160a01b0382166104ba5760405162461bcd60e51b815260206004820152602660248201527f54657374555344543a207472616e7366657220746f20746865207a65726f206160448201526564647265737360d01b606482015260840161025d565b6001600160a01b0383165f90815260016020526040902054818110156105225760405162461bcd60e51b815260206004820152601e60248201527f54657374555344543a20696e73756666696369656e742062616c616e63650000604482015260640161025d565b6001600160a01b038085165f908152600160205260408082208585039055918516815290812080548492906105589084906107a4565b92505081905550826001600160a01b0316846001600160a01b03167fddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef846040516105a491815260200190565b60405180910390a350505050565b602081525f82518060208401528060208501604085015e5f604082850101526040601f19601f83011684010191505092915050565b80356001600160a01b03811681146105fd575f5ffd5b919050565b5f5f60408385031215610613575f5ffd5b61061c836105e7565b946020939093013593505050565b5f5f5f6060848603121561063c575f5ffd5b610645846105e7565b9250610653602085016105e7565b929592945050506040919091013590565b5f5f83601f840112610674575f5ffd5b50813567ffffffffffffffff81111561068b575f5ffd5b6020830191508360208260051b85010111156106a5575f5ffd5b9250929050565b5f5f5f5f604085870312156106bf575f5ffd5b843567ffffffffffffffff8111156106d5575f5ffd5b6106e187828801610664565b909550935050602085013567ffffffffffffffff811115610700575f5ffd5b61070c87828801610664565b95989497509550505050565b5f60208284031215610728575f5ffd5b610731826105e7565b9392505050565b5f5f60408385031215610749575f5ffd5b610752836105e7565b9150610760602084016105e7565b90509250929050565b634e487b7160e01b5f52601160045260245ffd5b818103818111156102c4576102c4610769565b634e487b7160e01b5f52603260045260245ffd5b808201808211156102c4576102c461076956",
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
// Solidity: constructor(address[] holders, uint256 amountEach, uint8 decimals_) returns()
func (testUSDT *TestUSDT) PackConstructor(holders []common.Address, amountEach *big.Int, decimals_ uint8) []byte {
	enc, err := testUSDT.abi.Pack("", holders, amountEach, decimals_)
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
