package devchain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// accountsAPI serves eth_accounts with the development accounts, as Anvil lists them. It is
// registered after go-ethereum's own account API, whose eth_accounts (the node's keystore, empty
// here) it replaces.
type accountsAPI struct {
	accounts []common.Address
}

// Accounts returns the funded development accounts (eth_accounts).
func (api *accountsAPI) Accounts() []common.Address {
	return slices.Clone(api.accounts)
}

// evmAPI serves the evm_ namespace shared by Hardhat and Anvil.
type evmAPI struct {
	chain *Chain
	ctl   *controls
}

// Snapshot records the current head and returns the snapshot's id (evm_snapshot).
func (api *evmAPI) Snapshot() (hexutil.Uint64, error) {
	id, err := api.ctl.Snapshot()
	return hexutil.Uint64(id), err
}

// Revert rewinds the chain to snapshot id and reports whether the snapshot existed (evm_revert
// [id]). As in Anvil and Hardhat, the snapshot and all later ones can no longer be used.
func (api *evmAPI) Revert(id json.RawMessage) (bool, error) {
	n, err := parseQuantity(id)
	if err != nil {
		return false, fmt.Errorf("evm_revert id: %w", err)
	}
	return api.ctl.Revert(n)
}

// Mine mines one block (evm_mine). Its optional parameter (a timestamp in other nodes) is ignored.
func (api *evmAPI) Mine(_ *json.RawMessage) (string, error) {
	if err := api.chain.Mine(1); err != nil {
		return "", err
	}
	return "0x0", nil
}

// SetAutomine turns mining of every incoming transaction on or off (evm_setAutomine [bool]).
func (api *evmAPI) SetAutomine(on bool) error {
	return api.ctl.SetAutomine(on)
}

// anvilAPI serves the anvil_ control methods.
type anvilAPI struct {
	chain *Chain
	ctl   *controls
}

// SetBalance sets the ether balance of an account (anvil_setBalance [address, wei]); see
// controls.SetBalance for how it differs from Anvil.
func (api *anvilAPI) SetBalance(addr common.Address, wei json.RawMessage) error {
	v, err := parseBigQuantity(wei)
	if err != nil {
		return fmt.Errorf("anvil_setBalance balance: %w", err)
	}
	return api.ctl.SetBalance(addr, v)
}

// Mine mines count blocks, 1 when count is absent (anvil_mine [count, interval]). The interval
// parameter is accepted and ignored: block timestamps always move forward by at least one second.
func (api *anvilAPI) Mine(count *json.RawMessage, _ *json.RawMessage) error {
	n := uint64(1)
	if count != nil {
		var err error
		if n, err = parseQuantity(*count); err != nil {
			return fmt.Errorf("anvil_mine count: %w", err)
		}
	}
	if n > MaxMineCount {
		return fmt.Errorf("anvil_mine count %d: at most %d blocks per call", n, MaxMineCount)
	}
	return api.chain.Mine(int(n))
}

// Reorg replaces the last depth blocks with as many empty ones (anvil_reorg [depth, txs]). Only an
// empty (or absent) list of transactions to put into the new blocks is supported.
func (api *anvilAPI) Reorg(depth json.RawMessage, txs *json.RawMessage) error {
	d, err := parseQuantity(depth)
	if err != nil {
		return fmt.Errorf("anvil_reorg depth: %w", err)
	}
	if txs != nil {
		var list []json.RawMessage
		if err := json.Unmarshal(*txs, &list); err != nil {
			return fmt.Errorf("anvil_reorg transactions: %w", err)
		}
		if len(list) != 0 {
			return errors.New("anvil_reorg with transactions for the new blocks: not supported")
		}
	}
	if d > MaxMineCount {
		return fmt.Errorf("anvil_reorg depth %d: at most %d", d, MaxMineCount)
	}
	return api.chain.Reorg(int(d))
}

// DropTransaction removes a transaction from the pool (anvil_dropTransaction [txHash]); an unknown
// hash is not an error.
func (api *anvilAPI) DropTransaction(hash common.Hash) error {
	_, err := api.chain.DropTransaction(hash)
	return err
}

// parseBigQuantity reads a non-negative integer of any size given as a 0x-prefixed hex string, a
// decimal string or a JSON number.
func parseBigQuantity(raw json.RawMessage) (*big.Int, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, errors.New("missing value")
	}
	s := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("bad string %s: %w", raw, err)
		}
	}
	base := 10
	if hex, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		s, base = hex, 16
	}
	n, ok := new(big.Int).SetString(s, base)
	if !ok || n.Sign() < 0 {
		return nil, fmt.Errorf("bad quantity %s: want a non-negative integer", raw)
	}
	return n, nil
}

// parseQuantity reads a non-negative integer given as a JSON number, a 0x-prefixed hex string or a
// decimal string.
func parseQuantity(raw json.RawMessage) (uint64, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return 0, errors.New("missing value")
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, fmt.Errorf("bad string %s: %w", raw, err)
		}
		if hex, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
			n, err := strconv.ParseUint(hex, 16, 64)
			if err != nil {
				return 0, fmt.Errorf("bad hex quantity %q", s)
			}
			return n, nil
		}
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bad quantity %q", s)
		}
		return n, nil
	}
	n, err := strconv.ParseUint(string(raw), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad quantity %s: want a non-negative integer", raw)
	}
	return n, nil
}
