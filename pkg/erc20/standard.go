package erc20

import (
	"context"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
)

// standardABIJSON declares the part of the ERC-20 interface the suite uses in
// production. Calls to real tokens are built and decoded from it rather than
// from a test token's binding, so nothing but the standard is assumed.
const standardABIJSON = `[
	{"type":"function","name":"balanceOf","stateMutability":"view",
	 "inputs":[{"name":"owner","type":"address"}],"outputs":[{"name":"","type":"uint256"}]},
	{"type":"function","name":"totalSupply","stateMutability":"view",
	 "inputs":[],"outputs":[{"name":"","type":"uint256"}]},
	{"type":"function","name":"decimals","stateMutability":"view",
	 "inputs":[],"outputs":[{"name":"","type":"uint8"}]},
	{"type":"function","name":"symbol","stateMutability":"view",
	 "inputs":[],"outputs":[{"name":"","type":"string"}]},
	{"type":"function","name":"transfer","stateMutability":"nonpayable",
	 "inputs":[{"name":"to","type":"address"},{"name":"value","type":"uint256"}],"outputs":[{"name":"","type":"bool"}]},
	{"type":"event","name":"Transfer","anonymous":false,"inputs":[
	 {"name":"from","type":"address","indexed":true},
	 {"name":"to","type":"address","indexed":true},
	 {"name":"value","type":"uint256","indexed":false}]}
]`

// standard is the parsed standardABIJSON.
var standard = mustParseABI("standard", standardABIJSON)

// mustParseABI parses an ABI of this package; a parse failure is a bug of the package, caught by
// any of its tests.
func mustParseABI(name, json string) abi.ABI {
	parsed, err := abi.JSON(strings.NewReader(json))
	if err != nil {
		panic(fmt.Sprintf("erc20: %s ABI: %v", name, err))
	}
	return parsed
}

// StandardABI returns the ERC-20 interface (balanceOf, totalSupply, decimals,
// symbol, transfer and the Transfer event) as go-ethereum's abi.ABI.
func StandardABI() abi.ABI { return standard }

// TransferMethod returns the ABI of transfer(address,uint256), to decode call data with.
func TransferMethod() abi.Method { return standard.Methods["transfer"] }

// TransferEventTopic returns topic 0 of the ERC-20 Transfer(address,address,uint256) event.
func TransferEventTopic() common.Hash { return standard.Events["Transfer"].ID }

// BalanceOf reads balanceOf(holder) of the ERC-20 token at token, at block
// (nil: the latest). It is the suite's one token balance reader: services,
// tools and tests all read balances through it.
func BalanceOf(ctx context.Context, c ethereum.ContractCaller, token, holder common.Address, block *big.Int) (*big.Int, error) {
	data, err := standard.Pack("balanceOf", holder)
	if err != nil {
		return nil, fmt.Errorf("pack balanceOf %s: %w", holder.Hex(), err)
	}
	out, err := c.CallContract(ctx, ethereum.CallMsg{To: &token, Data: data}, block)
	if err != nil {
		return nil, fmt.Errorf("balanceOf %s on %s: %w", holder.Hex(), token.Hex(), err)
	}
	var bal *big.Int
	if err := unpackOne("balanceOf", out, &bal); err != nil {
		return nil, fmt.Errorf("balanceOf %s on %s: %w", holder.Hex(), token.Hex(), err)
	}
	return bal, nil
}

// unpackOne decodes the single return value of method into dst.
func unpackOne[T any](method string, out []byte, dst *T) error {
	vals, err := standard.Unpack(method, out)
	if err != nil {
		return fmt.Errorf("decode %s result: %w", method, err)
	}
	if len(vals) != 1 {
		return fmt.Errorf("decode %s result: %d values", method, len(vals))
	}
	v, ok := vals[0].(T)
	if !ok {
		return fmt.Errorf("decode %s result: unexpected %T", method, vals[0])
	}
	*dst = v
	return nil
}
