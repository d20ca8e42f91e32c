package devchain

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// accountsAPI serves eth_accounts with the development accounts, as Anvil lists them, and signs for
// them: eth_sendTransaction, eth_signTransaction, eth_sign and eth_signTypedData_v4. It is
// registered after go-ethereum's own account API, whose methods of those names (backed by the
// node's keystore, empty here) it replaces.
type accountsAPI struct {
	chain    *Chain
	accounts []common.Address
}

// Accounts returns the funded development accounts (eth_accounts).
func (api *accountsAPI) Accounts() []common.Address {
	return slices.Clone(api.accounts)
}

// SendTransaction signs a transaction from a development account, filling in the nonce, fees and
// gas it leaves out, adds it to the pool and returns its hash (eth_sendTransaction [tx]).
func (api *accountsAPI) SendTransaction(ctx context.Context, args txArgs) (common.Hash, error) {
	return api.chain.sendTransaction(ctx, args)
}

// SignTransaction fills in and signs a transaction from a development account without sending it and
// returns it encoded, ready for eth_sendRawTransaction (eth_signTransaction [tx]).
func (api *accountsAPI) SignTransaction(ctx context.Context, args txArgs) (hexutil.Bytes, error) {
	tx, err := api.chain.signTx(ctx, args)
	if err != nil {
		return nil, err
	}
	return tx.MarshalBinary()
}

// Sign signs data as a personal message (EIP-191) with a development account's key
// (eth_sign [address, data]).
func (api *accountsAPI) Sign(addr common.Address, data hexutil.Bytes) (hexutil.Bytes, error) {
	return api.chain.signText(addr, data)
}

// SignTypedData_v4 signs EIP-712 typed data with a development account's key
// (eth_signTypedData_v4 [address, typedData]). The name carries the method's suffix as the RPC server
// derives method names from Go names.
func (api *accountsAPI) SignTypedData_v4(addr common.Address, typedData json.RawMessage) (hexutil.Bytes, error) {
	return api.chain.signTypedData(addr, typedData)
}

// SendUnsignedTransaction is Anvil's way of sending for an address without its key
// (eth_sendUnsignedTransaction); this chain cannot, see errImpersonation.
func (api *accountsAPI) SendUnsignedTransaction(_ json.RawMessage) (common.Hash, error) {
	return common.Hash{}, errImpersonation
}

// personalAPI serves personal_sign, which wallets' libraries use to sign messages through the node.
type personalAPI struct {
	chain *Chain
}

// Sign signs data as a personal message (EIP-191) with a development account's key
// (personal_sign [data, address]; a password, if given, is ignored: the accounts are unlocked).
func (api *personalAPI) Sign(data hexutil.Bytes, addr common.Address, _ *string) (hexutil.Bytes, error) {
	return api.chain.signText(addr, data)
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

// Mine mines one block (evm_mine). Its optional parameter, as Anvil's, is the block's timestamp or an
// object {timestamp, blocks}: blocks blocks, the first stamped timestamp.
func (api *evmAPI) Mine(opts *json.RawMessage) (string, error) {
	count, ts, err := parseMineOptions(opts)
	if err != nil {
		return "", fmt.Errorf("evm_mine: %w", err)
	}
	if ts != nil {
		if err := api.chain.MineAt(*ts); err != nil {
			return "", err
		}
		count--
	}
	if err := api.chain.Mine(int(count)); err != nil {
		return "", err
	}
	return "0x0", nil
}

// SetAutomine turns mining of every incoming transaction on or off (evm_setAutomine [bool]); on
// stops interval mining.
func (api *evmAPI) SetAutomine(on bool) error {
	return api.ctl.SetAutomine(on)
}

// IncreaseTime moves the clock of the following blocks forward and returns the total offset from the
// wall clock in seconds (evm_increaseTime [seconds]).
func (api *evmAPI) IncreaseTime(seconds json.RawMessage) (int64, error) {
	n, err := parseQuantity(seconds)
	if err != nil {
		return 0, fmt.Errorf("evm_increaseTime seconds: %w", err)
	}
	return api.chain.IncreaseTime(n)
}

// SetNextBlockTimestamp fixes the next block's timestamp, which must be after the head's; the clock
// goes on from it (evm_setNextBlockTimestamp [timestamp]).
func (api *evmAPI) SetNextBlockTimestamp(ts json.RawMessage) error {
	return withQuantity("evm_setNextBlockTimestamp timestamp", ts, api.chain.SetNextBlockTimestamp)
}

// SetIntervalMining mines a block every seconds seconds, or stops interval mining with 0
// (evm_setIntervalMining [seconds]); a period turns automine off.
func (api *evmAPI) SetIntervalMining(seconds json.RawMessage) error {
	return setIntervalMining(api.ctl, "evm_setIntervalMining", seconds)
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

// Mine mines count blocks, 1 when count is absent (anvil_mine [count, interval]). With interval,
// the clock moves forward by interval seconds before each block, so the blocks are interval seconds
// apart and the clock stays ahead by count*interval.
func (api *anvilAPI) Mine(count *json.RawMessage, interval *json.RawMessage) error {
	n := uint64(1)
	if count != nil && !isNull(*count) {
		var err error
		if n, err = parseQuantity(*count); err != nil {
			return fmt.Errorf("anvil_mine count: %w", err)
		}
	}
	if n > MaxMineCount {
		return fmt.Errorf("anvil_mine count %d: at most %d blocks per call", n, MaxMineCount)
	}
	var step uint64
	if interval != nil && !isNull(*interval) {
		var err error
		if step, err = parseQuantity(*interval); err != nil {
			return fmt.Errorf("anvil_mine interval: %w", err)
		}
	}
	return api.chain.MineWithInterval(int(n), step)
}

// IncreaseTime is evm_increaseTime under Anvil's name (anvil_increaseTime [seconds]).
func (api *anvilAPI) IncreaseTime(seconds json.RawMessage) (int64, error) {
	return (&evmAPI{chain: api.chain, ctl: api.ctl}).IncreaseTime(seconds)
}

// SetNextBlockTimestamp is evm_setNextBlockTimestamp under Anvil's name
// (anvil_setNextBlockTimestamp [timestamp]).
func (api *anvilAPI) SetNextBlockTimestamp(ts json.RawMessage) error {
	return (&evmAPI{chain: api.chain, ctl: api.ctl}).SetNextBlockTimestamp(ts)
}

// SetIntervalMining mines a block every seconds seconds, or stops interval mining with 0
// (anvil_setIntervalMining [seconds]); a period turns automine off.
func (api *anvilAPI) SetIntervalMining(seconds json.RawMessage) error {
	return setIntervalMining(api.ctl, "anvil_setIntervalMining", seconds)
}

// SetAutomine is evm_setAutomine under Anvil's name (anvil_setAutomine [bool]).
func (api *anvilAPI) SetAutomine(on bool) error {
	return api.ctl.SetAutomine(on)
}

// GetAutomine reports whether every incoming transaction is mined at once (anvil_getAutomine).
func (api *anvilAPI) GetAutomine() (bool, error) {
	return api.ctl.Automine()
}

// ImpersonateAccount accepts the development accounts, which the chain signs for anyway, and refuses
// any other address (anvil_impersonateAccount [address]); see errImpersonation.
func (api *anvilAPI) ImpersonateAccount(addr common.Address) error {
	if _, err := api.chain.signerKey(addr); err != nil {
		return fmt.Errorf("anvil_impersonateAccount %s: %w", addr, err)
	}
	return nil
}

// StopImpersonatingAccount has nothing to undo: only development accounts are ever "impersonated",
// and they stay usable (anvil_stopImpersonatingAccount [address]).
func (api *anvilAPI) StopImpersonatingAccount(_ *common.Address) error {
	return nil
}

// AutoImpersonateAccount refuses to turn impersonation of every address on; turning it off is
// accepted (anvil_autoImpersonateAccount [bool]).
func (api *anvilAPI) AutoImpersonateAccount(on bool) error {
	if on {
		return fmt.Errorf("anvil_autoImpersonateAccount: %w", errImpersonation)
	}
	return nil
}

// errStateEdit explains why the state-editing methods are refused.
var errStateEdit = errors.New("not supported by this chain: go-ethereum changes state only through transactions " +
	"in blocks (anvil_setBalance is emulated with a withdrawal or a transfer)")

// SetCode is refused (anvil_setCode [address, code]); see errStateEdit.
func (api *anvilAPI) SetCode(_ common.Address, _ json.RawMessage) error {
	return fmt.Errorf("anvil_setCode: %w", errStateEdit)
}

// SetNonce is refused (anvil_setNonce [address, nonce]); see errStateEdit.
func (api *anvilAPI) SetNonce(_ common.Address, _ json.RawMessage) error {
	return fmt.Errorf("anvil_setNonce: %w", errStateEdit)
}

// SetStorageAt is refused (anvil_setStorageAt [address, slot, value]); see errStateEdit.
func (api *anvilAPI) SetStorageAt(_ common.Address, _, _ json.RawMessage) error {
	return fmt.Errorf("anvil_setStorageAt: %w", errStateEdit)
}

// DropAllTransactions empties the transaction pool (anvil_dropAllTransactions).
func (api *anvilAPI) DropAllTransactions() error {
	_, err := api.chain.DropAllTransactions()
	return err
}

// RemovePoolTransactions removes every pooled transaction of a sender
// (anvil_removePoolTransactions [address]).
func (api *anvilAPI) RemovePoolTransactions(sender common.Address) error {
	_, err := api.chain.RemovePoolTransactions(sender)
	return err
}

// SetCoinbase makes an address the fee recipient of the following blocks (anvil_setCoinbase
// [address]).
func (api *anvilAPI) SetCoinbase(addr common.Address) error {
	return api.chain.SetCoinbase(addr)
}

// SetBlockTimestampInterval stamps every following block exactly seconds after its parent
// (anvil_setBlockTimestampInterval [seconds]).
func (api *anvilAPI) SetBlockTimestampInterval(seconds json.RawMessage) error {
	return withQuantity("anvil_setBlockTimestampInterval seconds", seconds, api.chain.SetBlockTimestampInterval)
}

// RemoveBlockTimestampInterval goes back to the clock and reports whether an interval was set
// (anvil_removeBlockTimestampInterval).
func (api *anvilAPI) RemoveBlockTimestampInterval() (bool, error) {
	return api.chain.RemoveBlockTimestampInterval()
}

// NodeInfo describes the chain as Anvil's anvil_nodeInfo does, for the fields that apply here.
func (api *anvilAPI) NodeInfo(ctx context.Context) (*nodeInfo, error) {
	return api.chain.nodeInfo(ctx)
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

// hardhatAPI serves the hardhat_ names that Anvil accepts for its anvil_ methods.
type hardhatAPI struct {
	anvil *anvilAPI
}

// Mine is anvil_mine (hardhat_mine [count, interval]).
func (api *hardhatAPI) Mine(count *json.RawMessage, interval *json.RawMessage) error {
	return api.anvil.Mine(count, interval)
}

// SetBalance is anvil_setBalance (hardhat_setBalance [address, wei]).
func (api *hardhatAPI) SetBalance(addr common.Address, wei json.RawMessage) error {
	return api.anvil.SetBalance(addr, wei)
}

// DropTransaction is anvil_dropTransaction (hardhat_dropTransaction [txHash]).
func (api *hardhatAPI) DropTransaction(hash common.Hash) error {
	return api.anvil.DropTransaction(hash)
}

// GetAutomine is anvil_getAutomine (hardhat_getAutomine).
func (api *hardhatAPI) GetAutomine() (bool, error) {
	return api.anvil.GetAutomine()
}

// ImpersonateAccount is anvil_impersonateAccount (hardhat_impersonateAccount [address]).
func (api *hardhatAPI) ImpersonateAccount(addr common.Address) error {
	return api.anvil.ImpersonateAccount(addr)
}

// StopImpersonatingAccount is anvil_stopImpersonatingAccount (hardhat_stopImpersonatingAccount
// [address]).
func (api *hardhatAPI) StopImpersonatingAccount(addr *common.Address) error {
	return api.anvil.StopImpersonatingAccount(addr)
}

// SetCoinbase is anvil_setCoinbase (hardhat_setCoinbase [address]).
func (api *hardhatAPI) SetCoinbase(addr common.Address) error {
	return api.anvil.SetCoinbase(addr)
}

// SetCode is refused as anvil_setCode is (hardhat_setCode).
func (api *hardhatAPI) SetCode(addr common.Address, code json.RawMessage) error {
	return api.anvil.SetCode(addr, code)
}

// SetNonce is refused as anvil_setNonce is (hardhat_setNonce).
func (api *hardhatAPI) SetNonce(addr common.Address, nonce json.RawMessage) error {
	return api.anvil.SetNonce(addr, nonce)
}

// SetStorageAt is refused as anvil_setStorageAt is (hardhat_setStorageAt).
func (api *hardhatAPI) SetStorageAt(addr common.Address, slot, value json.RawMessage) error {
	return api.anvil.SetStorageAt(addr, slot, value)
}

// setIntervalMining parses the period in seconds of an interval mining method and applies it.
func setIntervalMining(ctl *controls, method string, seconds json.RawMessage) error {
	n, err := parseQuantity(seconds)
	if err != nil {
		return fmt.Errorf("%s seconds: %w", method, err)
	}
	if n > uint64(MaxIntervalMining/time.Second) {
		return fmt.Errorf("%s %d seconds: at most %d", method, n, uint64(MaxIntervalMining/time.Second))
	}
	return ctl.SetIntervalMining(time.Duration(n) * time.Second)
}

// parseMineOptions reads evm_mine's optional parameter: nothing (one block), a timestamp, or an
// object {timestamp, blocks}. It returns the number of blocks and the first one's timestamp, if set.
func parseMineOptions(opts *json.RawMessage) (uint64, *uint64, error) {
	if opts == nil || isNull(*opts) {
		return 1, nil, nil
	}
	raw := bytes.TrimSpace(*opts)
	if raw[0] != '{' {
		ts, err := parseQuantity(raw)
		if err != nil {
			return 0, nil, fmt.Errorf("timestamp: %w", err)
		}
		return 1, &ts, nil
	}
	var obj struct {
		Timestamp json.RawMessage `json:"timestamp"`
		Blocks    json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return 0, nil, fmt.Errorf("options: %w", err)
	}
	count := uint64(1)
	if !isNull(obj.Blocks) {
		var err error
		if count, err = parseQuantity(obj.Blocks); err != nil {
			return 0, nil, fmt.Errorf("blocks: %w", err)
		}
		if count == 0 || count > MaxMineCount {
			return 0, nil, fmt.Errorf("blocks %d: between 1 and %d", count, MaxMineCount)
		}
	}
	if isNull(obj.Timestamp) {
		return count, nil, nil
	}
	ts, err := parseQuantity(obj.Timestamp)
	if err != nil {
		return 0, nil, fmt.Errorf("timestamp: %w", err)
	}
	return count, &ts, nil
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

// withQuantity calls f with the quantity raw; param names raw in a parse error.
func withQuantity(param string, raw json.RawMessage, f func(uint64) error) error {
	n, err := parseQuantity(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", param, err)
	}
	return f(n)
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
