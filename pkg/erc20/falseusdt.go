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

// FalseUSDTMetaData contains all meta data concerning the FalseUSDT contract.
var FalseUSDTMetaData = bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"address[]\",\"name\":\"holders\",\"type\":\"address[]\"},{\"internalType\":\"uint256\",\"name\":\"amountEach\",\"type\":\"uint256\"}],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"spender\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"value\",\"type\":\"uint256\"}],\"name\":\"Approval\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"account\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"bool\",\"name\":\"frozen\",\"type\":\"bool\"}],\"name\":\"Frozen\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"from\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"value\",\"type\":\"uint256\"}],\"name\":\"Transfer\",\"type\":\"event\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"allowance\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"spender\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"value\",\"type\":\"uint256\"}],\"name\":\"approve\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"balanceOf\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"decimals\",\"outputs\":[{\"internalType\":\"uint8\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"frozen\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"issuer\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"name\",\"outputs\":[{\"internalType\":\"string\",\"name\":\"\",\"type\":\"string\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"account\",\"type\":\"address\"},{\"internalType\":\"bool\",\"name\":\"value\",\"type\":\"bool\"}],\"name\":\"setFrozen\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"symbol\",\"outputs\":[{\"internalType\":\"string\",\"name\":\"\",\"type\":\"string\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"totalSupply\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"value\",\"type\":\"uint256\"}],\"name\":\"transfer\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"from\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"value\",\"type\":\"uint256\"}],\"name\":\"transferFrom\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"}]",
	ID:  "FalseUSDT",
	Bin: "0x60a060405234801561000f575f5ffd5b506040516109c93803806109c983398101604081905261002e916101d5565b336080525f5b825181101561019e575f6001600160a01b0316838281518110610059576100596102a9565b60200260200101516001600160a01b0316036100c75760405162461bcd60e51b815260206004820152602360248201527f46616c7365555344543a206d696e7420746f20746865207a65726f206164647260448201526265737360e81b606482015260840160405180910390fd5b815f5f8282546100d791906102bd565b925050819055508160015f8584815181106100f4576100f46102a9565b60200260200101516001600160a01b03166001600160a01b031681526020019081526020015f205f82825461012991906102bd565b92505081905550828181518110610142576101426102a9565b60200260200101516001600160a01b03165f6001600160a01b03167fddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef8460405161018e91815260200190565b60405180910390a3600101610034565b5050506102e2565b634e487b7160e01b5f52604160045260245ffd5b80516001600160a01b03811681146101d0575f5ffd5b919050565b5f5f604083850312156101e6575f5ffd5b82516001600160401b038111156101fb575f5ffd5b8301601f8101851361020b575f5ffd5b80516001600160401b03811115610224576102246101a6565b604051600582901b90603f8201601f191681016001600160401b0381118282101715610252576102526101a6565b60405291825260208184018101929081018884111561026f575f5ffd5b6020850194505b8385101561029557610287856101ba565b815260209485019401610276565b506020969096015195979596505050505050565b634e487b7160e01b5f52603260045260245ffd5b808201808211156102dc57634e487b7160e01b5f52601160045260245ffd5b92915050565b6080516106c86103015f395f8181610145015261036f01526106c85ff3fe608060405234801561000f575f5ffd5b50600436106100b1575f3560e01c806370a082311161006e57806370a08231146101ac57806395d89b41146101cb578063a9059cbb146101ee578063ac869cd814610201578063d051665014610216578063dd62ed3e14610238575f5ffd5b806306fdde03146100b5578063095ea7b31461010757806318160ddd1461012a5780631d1438481461014057806323b872dd1461017f578063313ce56714610192575b5f5ffd5b6100f16040518060400160405280602081526020017f546574686572205553442028746573742c206e6f6e2d726576657274696e672981525081565b6040516100fe9190610559565b60405180910390f35b61011a6101153660046105a9565b610262565b60405190151581526020016100fe565b6101325f5481565b6040519081526020016100fe565b6101677f000000000000000000000000000000000000000000000000000000000000000081565b6040516001600160a01b0390911681526020016100fe565b61011a61018d3660046105d1565b6102ce565b61019a600681565b60405160ff90911681526020016100fe565b6101326101ba36600461060b565b60016020525f908152604090205481565b6100f1604051806040016040528060048152602001631554d11560e21b81525081565b61011a6101fc3660046105a9565b610358565b61021461020f366004610624565b610364565b005b61011a61022436600461060b565b60036020525f908152604090205460ff1681565b61013261024636600461065d565b600260209081525f928352604080842090915290825290205481565b335f8181526002602090815260408083206001600160a01b038716808552925280832085905551919290917f8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925906102bc9086815260200190565b60405180910390a35060015b92915050565b6001600160a01b0383165f90815260026020908152604080832033845290915281205482811080610307575061030585858561044a565b155b15610315575f915050610351565b5f19811461034b5761032783826106a2565b6001600160a01b0386165f9081526002602090815260408083203384529091529020555b60019150505b9392505050565b5f61035133848461044a565b336001600160a01b037f000000000000000000000000000000000000000000000000000000000000000016146103ec5760405162461bcd60e51b815260206004820152602360248201527f46616c7365555344543a2063616c6c6572206973206e6f7420746865206973736044820152623ab2b960e91b606482015260840160405180910390fd5b6001600160a01b0382165f81815260036020908152604091829020805460ff191685151590811790915591519182527f713eb400302cebac61f82eb8de5051d38458517ffac43ae45f4a9fd5d09ee698910160405180910390a25050565b6001600160a01b038084165f9081526001602052604081205490918416158061048a57506001600160a01b0385165f9081526003602052604090205460ff165b806104ac57506001600160a01b0384165f9081526003602052604090205460ff165b806104b657508281105b156104c4575f915050610351565b6001600160a01b038086165f908152600160205260408082208685039055918616815290812080548592906104fa9084906106b5565b92505081905550836001600160a01b0316856001600160a01b03167fddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef8560405161054691815260200190565b60405180910390a3506001949350505050565b602081525f82518060208401528060208501604085015e5f604082850101526040601f19601f83011684010191505092915050565b80356001600160a01b03811681146105a4575f5ffd5b919050565b5f5f604083850312156105ba575f5ffd5b6105c38361058e565b946020939093013593505050565b5f5f5f606084860312156105e3575f5ffd5b6105ec8461058e565b92506105fa6020850161058e565b929592945050506040919091013590565b5f6020828403121561061b575f5ffd5b6103518261058e565b5f5f60408385031215610635575f5ffd5b61063e8361058e565b915060208301358015158114610652575f5ffd5b809150509250929050565b5f5f6040838503121561066e575f5ffd5b6106778361058e565b91506106856020840161058e565b90509250929050565b634e487b7160e01b5f52601160045260245ffd5b818103818111156102c8576102c861068e565b808201808211156102c8576102c861068e56",
}

// FalseUSDT is an auto generated Go binding around an Ethereum contract.
type FalseUSDT struct {
	abi abi.ABI
}

// GetABI returns the ABI associated with this contract binding.
func (c *FalseUSDT) GetABI() abi.ABI {
	return c.abi
}

// NewFalseUSDT creates a new instance of FalseUSDT.
func NewFalseUSDT() *FalseUSDT {
	parsed, err := FalseUSDTMetaData.ParseABI()
	if err != nil {
		panic(errors.New("invalid ABI: " + err.Error()))
	}
	return &FalseUSDT{abi: *parsed}
}

// Instance creates a wrapper for a deployed contract instance at the given address.
// Use this to create the instance object passed to abigen v2 library functions Call, Transact, etc.
func (c *FalseUSDT) Instance(backend bind.ContractBackend, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, c.abi, backend, backend, backend)
}

// PackConstructor is the Go binding used to pack the parameters required for
// contract deployment.
//
// Solidity: constructor(address[] holders, uint256 amountEach) returns()
func (falseUSDT *FalseUSDT) PackConstructor(holders []common.Address, amountEach *big.Int) []byte {
	enc, err := falseUSDT.abi.Pack("", holders, amountEach)
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
func (falseUSDT *FalseUSDT) PackAllowance(arg0 common.Address, arg1 common.Address) []byte {
	enc, err := falseUSDT.abi.Pack("allowance", arg0, arg1)
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
func (falseUSDT *FalseUSDT) TryPackAllowance(arg0 common.Address, arg1 common.Address) ([]byte, error) {
	return falseUSDT.abi.Pack("allowance", arg0, arg1)
}

// UnpackAllowance is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xdd62ed3e.
//
// Solidity: function allowance(address , address ) view returns(uint256)
func (falseUSDT *FalseUSDT) UnpackAllowance(data []byte) (*big.Int, error) {
	out, err := falseUSDT.abi.Unpack("allowance", data)
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
func (falseUSDT *FalseUSDT) PackApprove(spender common.Address, value *big.Int) []byte {
	enc, err := falseUSDT.abi.Pack("approve", spender, value)
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
func (falseUSDT *FalseUSDT) TryPackApprove(spender common.Address, value *big.Int) ([]byte, error) {
	return falseUSDT.abi.Pack("approve", spender, value)
}

// UnpackApprove is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x095ea7b3.
//
// Solidity: function approve(address spender, uint256 value) returns(bool)
func (falseUSDT *FalseUSDT) UnpackApprove(data []byte) (bool, error) {
	out, err := falseUSDT.abi.Unpack("approve", data)
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
func (falseUSDT *FalseUSDT) PackBalanceOf(arg0 common.Address) []byte {
	enc, err := falseUSDT.abi.Pack("balanceOf", arg0)
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
func (falseUSDT *FalseUSDT) TryPackBalanceOf(arg0 common.Address) ([]byte, error) {
	return falseUSDT.abi.Pack("balanceOf", arg0)
}

// UnpackBalanceOf is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x70a08231.
//
// Solidity: function balanceOf(address ) view returns(uint256)
func (falseUSDT *FalseUSDT) UnpackBalanceOf(data []byte) (*big.Int, error) {
	out, err := falseUSDT.abi.Unpack("balanceOf", data)
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
func (falseUSDT *FalseUSDT) PackDecimals() []byte {
	enc, err := falseUSDT.abi.Pack("decimals")
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
func (falseUSDT *FalseUSDT) TryPackDecimals() ([]byte, error) {
	return falseUSDT.abi.Pack("decimals")
}

// UnpackDecimals is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x313ce567.
//
// Solidity: function decimals() view returns(uint8)
func (falseUSDT *FalseUSDT) UnpackDecimals(data []byte) (uint8, error) {
	out, err := falseUSDT.abi.Unpack("decimals", data)
	if err != nil {
		return *new(uint8), err
	}
	out0 := *abi.ConvertType(out[0], new(uint8)).(*uint8)
	return out0, nil
}

// PackFrozen is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd0516650.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function frozen(address ) view returns(bool)
func (falseUSDT *FalseUSDT) PackFrozen(arg0 common.Address) []byte {
	enc, err := falseUSDT.abi.Pack("frozen", arg0)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackFrozen is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd0516650.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function frozen(address ) view returns(bool)
func (falseUSDT *FalseUSDT) TryPackFrozen(arg0 common.Address) ([]byte, error) {
	return falseUSDT.abi.Pack("frozen", arg0)
}

// UnpackFrozen is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xd0516650.
//
// Solidity: function frozen(address ) view returns(bool)
func (falseUSDT *FalseUSDT) UnpackFrozen(data []byte) (bool, error) {
	out, err := falseUSDT.abi.Unpack("frozen", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// PackIssuer is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x1d143848.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function issuer() view returns(address)
func (falseUSDT *FalseUSDT) PackIssuer() []byte {
	enc, err := falseUSDT.abi.Pack("issuer")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackIssuer is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x1d143848.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function issuer() view returns(address)
func (falseUSDT *FalseUSDT) TryPackIssuer() ([]byte, error) {
	return falseUSDT.abi.Pack("issuer")
}

// UnpackIssuer is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x1d143848.
//
// Solidity: function issuer() view returns(address)
func (falseUSDT *FalseUSDT) UnpackIssuer(data []byte) (common.Address, error) {
	out, err := falseUSDT.abi.Unpack("issuer", data)
	if err != nil {
		return *new(common.Address), err
	}
	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	return out0, nil
}

// PackName is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x06fdde03.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function name() view returns(string)
func (falseUSDT *FalseUSDT) PackName() []byte {
	enc, err := falseUSDT.abi.Pack("name")
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
func (falseUSDT *FalseUSDT) TryPackName() ([]byte, error) {
	return falseUSDT.abi.Pack("name")
}

// UnpackName is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x06fdde03.
//
// Solidity: function name() view returns(string)
func (falseUSDT *FalseUSDT) UnpackName(data []byte) (string, error) {
	out, err := falseUSDT.abi.Unpack("name", data)
	if err != nil {
		return *new(string), err
	}
	out0 := *abi.ConvertType(out[0], new(string)).(*string)
	return out0, nil
}

// PackSetFrozen is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xac869cd8.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function setFrozen(address account, bool value) returns()
func (falseUSDT *FalseUSDT) PackSetFrozen(account common.Address, value bool) []byte {
	enc, err := falseUSDT.abi.Pack("setFrozen", account, value)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSetFrozen is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xac869cd8.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function setFrozen(address account, bool value) returns()
func (falseUSDT *FalseUSDT) TryPackSetFrozen(account common.Address, value bool) ([]byte, error) {
	return falseUSDT.abi.Pack("setFrozen", account, value)
}

// PackSymbol is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x95d89b41.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function symbol() view returns(string)
func (falseUSDT *FalseUSDT) PackSymbol() []byte {
	enc, err := falseUSDT.abi.Pack("symbol")
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
func (falseUSDT *FalseUSDT) TryPackSymbol() ([]byte, error) {
	return falseUSDT.abi.Pack("symbol")
}

// UnpackSymbol is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x95d89b41.
//
// Solidity: function symbol() view returns(string)
func (falseUSDT *FalseUSDT) UnpackSymbol(data []byte) (string, error) {
	out, err := falseUSDT.abi.Unpack("symbol", data)
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
func (falseUSDT *FalseUSDT) PackTotalSupply() []byte {
	enc, err := falseUSDT.abi.Pack("totalSupply")
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
func (falseUSDT *FalseUSDT) TryPackTotalSupply() ([]byte, error) {
	return falseUSDT.abi.Pack("totalSupply")
}

// UnpackTotalSupply is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x18160ddd.
//
// Solidity: function totalSupply() view returns(uint256)
func (falseUSDT *FalseUSDT) UnpackTotalSupply(data []byte) (*big.Int, error) {
	out, err := falseUSDT.abi.Unpack("totalSupply", data)
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
func (falseUSDT *FalseUSDT) PackTransfer(to common.Address, value *big.Int) []byte {
	enc, err := falseUSDT.abi.Pack("transfer", to, value)
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
func (falseUSDT *FalseUSDT) TryPackTransfer(to common.Address, value *big.Int) ([]byte, error) {
	return falseUSDT.abi.Pack("transfer", to, value)
}

// UnpackTransfer is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xa9059cbb.
//
// Solidity: function transfer(address to, uint256 value) returns(bool)
func (falseUSDT *FalseUSDT) UnpackTransfer(data []byte) (bool, error) {
	out, err := falseUSDT.abi.Unpack("transfer", data)
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
func (falseUSDT *FalseUSDT) PackTransferFrom(from common.Address, to common.Address, value *big.Int) []byte {
	enc, err := falseUSDT.abi.Pack("transferFrom", from, to, value)
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
func (falseUSDT *FalseUSDT) TryPackTransferFrom(from common.Address, to common.Address, value *big.Int) ([]byte, error) {
	return falseUSDT.abi.Pack("transferFrom", from, to, value)
}

// UnpackTransferFrom is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x23b872dd.
//
// Solidity: function transferFrom(address from, address to, uint256 value) returns(bool)
func (falseUSDT *FalseUSDT) UnpackTransferFrom(data []byte) (bool, error) {
	out, err := falseUSDT.abi.Unpack("transferFrom", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// FalseUSDTApproval represents a Approval event raised by the FalseUSDT contract.
type FalseUSDTApproval struct {
	Owner   common.Address
	Spender common.Address
	Value   *big.Int
	Raw     *types.Log // Blockchain specific contextual infos
}

const FalseUSDTApprovalEventName = "Approval"

// ContractEventName returns the user-defined event name.
func (FalseUSDTApproval) ContractEventName() string {
	return FalseUSDTApprovalEventName
}

// UnpackApprovalEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event Approval(address indexed owner, address indexed spender, uint256 value)
func (falseUSDT *FalseUSDT) UnpackApprovalEvent(log *types.Log) (*FalseUSDTApproval, error) {
	event := "Approval"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != falseUSDT.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(FalseUSDTApproval)
	if len(log.Data) > 0 {
		if err := falseUSDT.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range falseUSDT.abi.Events[event].Inputs {
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

// FalseUSDTFrozen represents a Frozen event raised by the FalseUSDT contract.
type FalseUSDTFrozen struct {
	Account common.Address
	Frozen  bool
	Raw     *types.Log // Blockchain specific contextual infos
}

const FalseUSDTFrozenEventName = "Frozen"

// ContractEventName returns the user-defined event name.
func (FalseUSDTFrozen) ContractEventName() string {
	return FalseUSDTFrozenEventName
}

// UnpackFrozenEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event Frozen(address indexed account, bool frozen)
func (falseUSDT *FalseUSDT) UnpackFrozenEvent(log *types.Log) (*FalseUSDTFrozen, error) {
	event := "Frozen"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != falseUSDT.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(FalseUSDTFrozen)
	if len(log.Data) > 0 {
		if err := falseUSDT.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range falseUSDT.abi.Events[event].Inputs {
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

// FalseUSDTTransfer represents a Transfer event raised by the FalseUSDT contract.
type FalseUSDTTransfer struct {
	From  common.Address
	To    common.Address
	Value *big.Int
	Raw   *types.Log // Blockchain specific contextual infos
}

const FalseUSDTTransferEventName = "Transfer"

// ContractEventName returns the user-defined event name.
func (FalseUSDTTransfer) ContractEventName() string {
	return FalseUSDTTransferEventName
}

// UnpackTransferEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event Transfer(address indexed from, address indexed to, uint256 value)
func (falseUSDT *FalseUSDT) UnpackTransferEvent(log *types.Log) (*FalseUSDTTransfer, error) {
	event := "Transfer"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != falseUSDT.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(FalseUSDTTransfer)
	if len(log.Data) > 0 {
		if err := falseUSDT.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range falseUSDT.abi.Events[event].Inputs {
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
