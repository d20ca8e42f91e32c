package devchain

import (
	"bytes"
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/common/math"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"

	"paysuite/pkg/erc20"
)

// minedTx returns the mined transaction hash with its receipt, failing unless it succeeded.
func minedTx(t *testing.T, client *ethclient.Client, hash common.Hash) (*types.Transaction, *types.Receipt) {
	t.Helper()
	tx, pending, err := client.TransactionByHash(t.Context(), hash)
	if err != nil || pending {
		t.Fatalf("transaction %s: pending %v, %v", hash, pending, err)
	}
	r, err := client.TransactionReceipt(t.Context(), hash)
	if err != nil || r.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("receipt of %s = %+v, %v", hash, r, err)
	}
	return tx, r
}

func TestSendTransaction(t *testing.T) {
	_, client := startChain(t, 0)
	ctx := t.Context()
	from, to := devAddress(t, 6), devAddress(t, 7)
	nonce, err := client.NonceAt(ctx, from, nil)
	if err != nil {
		t.Fatal(err)
	}

	// Two calls before a block: consecutive nonces, fees and gas filled in.
	var first, second common.Hash
	call(t, client, &first, "eth_sendTransaction", map[string]any{"from": from, "to": to, "value": "0x1"})
	call(t, client, &second, "eth_sendTransaction", map[string]any{"from": from, "to": to, "value": "0x2"})
	call(t, client, nil, "evm_mine")
	head := headNumber(t, client)
	for i, hash := range []common.Hash{first, second} {
		tx, r := minedTx(t, client, hash)
		if r.BlockNumber.Uint64() != head {
			t.Errorf("transaction %d in block %d, want %d", i, r.BlockNumber, head)
		}
		if tx.Nonce() != nonce+uint64(i) || tx.Type() != types.DynamicFeeTxType || tx.Gas() != params.TxGas || tx.Value().Int64() != int64(i+1) {
			t.Errorf("transaction %d: nonce %d type %d gas %d value %s; want nonce %d, dynamic fee, %d gas, value %d",
				i, tx.Nonce(), tx.Type(), tx.Gas(), tx.Value(), nonce+uint64(i), params.TxGas, i+1)
		}
		sender, err := types.Sender(types.LatestSignerForChainID(big.NewInt(ChainID)), tx)
		if err != nil || sender != from {
			t.Errorf("transaction %d sender %s, %v; want %s", i, sender, err, from)
		}
	}

	// A contract call: gas estimated above a plain transfer, the token moves.
	token := erc20.NewToken(common.HexToAddress(erc20.DevTokenAddress), client)
	before := balance(t, token, to)
	data := append(common.FromHex("0xa9059cbb"), common.LeftPadBytes(to.Bytes(), 32)...)
	data = append(data, common.LeftPadBytes(big.NewInt(5_000_000).Bytes(), 32)...)
	var hash common.Hash
	call(t, client, &hash, "eth_sendTransaction", map[string]any{"from": from, "to": common.HexToAddress(erc20.DevTokenAddress), "input": hexutil.Bytes(data)})
	call(t, client, nil, "evm_mine")
	tx, _ := minedTx(t, client, hash)
	if tx.Gas() <= params.TxGas {
		t.Errorf("token transfer gas %d, want an estimate above %d", tx.Gas(), params.TxGas)
	}
	if got := balance(t, token, to); got.Cmp(new(big.Int).Add(before, big.NewInt(5_000_000))) != 0 {
		t.Errorf("token balance %s, want %s + 5000000", got, before)
	}

	// gasPrice makes a legacy transaction; given nonce and gas are kept.
	nonce, err = client.PendingNonceAt(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	price := new(big.Int).Mul(big.NewInt(100), big.NewInt(params.GWei))
	call(t, client, &hash, "eth_sendTransaction", map[string]any{
		"from": from, "to": to, "gasPrice": (*hexutil.Big)(price), "gas": "0x7530", "nonce": hexutil.Uint64(nonce),
	})
	call(t, client, nil, "evm_mine")
	tx, _ = minedTx(t, client, hash)
	if tx.Type() != types.LegacyTxType || tx.GasPrice().Cmp(price) != 0 || tx.Gas() != 30_000 || tx.Nonce() != nonce {
		t.Errorf("legacy transaction: type %d price %s gas %d nonce %d", tx.Type(), tx.GasPrice(), tx.Gas(), tx.Nonce())
	}

	foreign := common.HexToAddress("0x00000000000000000000000000000000000b0b01")
	errTests := map[string]map[string]any{
		"foreign sender":          {"from": foreign, "to": to},
		"no sender":               {"to": to},
		"other chain":             {"from": from, "to": to, "chainId": "0x1"},
		"gasPrice and 1559 fees":  {"from": from, "to": to, "gasPrice": "0x1", "maxFeePerGas": "0x2"},
		"data and input differ":   {"from": from, "to": to, "data": "0x01", "input": "0x02"},
		"fee cap below tip":       {"from": from, "to": to, "maxFeePerGas": "0x1", "maxPriorityFeePerGas": "0x2"},
		"blob transaction":        {"from": from, "to": to, "blobVersionedHashes": []string{common.Hash{1}.Hex()}},
		"more than the balance":   {"from": from, "to": to, "value": hexutil.EncodeBig(new(big.Int).Mul(FundedBalance(), big.NewInt(2)))},
		"unsigned for a stranger": nil,
	}
	for name, args := range errTests {
		t.Run(name, func(t *testing.T) {
			method := "eth_sendTransaction"
			if args == nil {
				method, args = "eth_sendUnsignedTransaction", map[string]any{"from": foreign, "to": to}
			}
			pendingBefore := pendingCount(t, client)
			callErr(t, client, method, args)
			if n := pendingCount(t, client); n != pendingBefore {
				t.Errorf("pool transactions %d, want %d", n, pendingBefore)
			}
		})
	}
	err = client.Client().CallContext(ctx, nil, "eth_sendTransaction", map[string]any{"from": foreign, "to": to})
	if err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("eth_sendTransaction from a foreign address: %v, want a not-supported error", err)
	}
}

func TestSendTransactionAutomine(t *testing.T) {
	_, client := startChain(t, 0)
	call(t, client, nil, "evm_setAutomine", true)
	from := devAddress(t, 8)
	for range 3 {
		var hash common.Hash
		call(t, client, &hash, "eth_sendTransaction", map[string]any{"from": from, "to": devAddress(t, 9), "value": "0x1"})
		waitMined(t, client, hash)
	}
	if n, err := client.NonceAt(t.Context(), from, nil); err != nil || n != 3 {
		t.Errorf("sender nonce %d, %v; want 3", n, err)
	}
}

func TestSignTransaction(t *testing.T) {
	_, client := startChain(t, 0)
	from := devAddress(t, 5)
	var raw hexutil.Bytes
	call(t, client, &raw, "eth_signTransaction", map[string]any{"from": from, "to": devAddress(t, 6), "value": "0x64"})
	var tx types.Transaction
	if err := tx.UnmarshalBinary(raw); err != nil {
		t.Fatal(err)
	}
	if sender, err := types.Sender(types.LatestSignerForChainID(big.NewInt(ChainID)), &tx); err != nil || sender != from {
		t.Fatalf("signed transaction sender %s, %v; want %s", sender, err, from)
	}
	// Signing does not send.
	if n := pendingCount(t, client); n != 0 {
		t.Errorf("pool transactions after eth_signTransaction = %d", n)
	}
	if err := client.SendTransaction(t.Context(), &tx); err != nil {
		t.Fatal(err)
	}
	call(t, client, nil, "evm_mine")
	minedTx(t, client, tx.Hash())
	callErr(t, client, "eth_signTransaction", map[string]any{"from": common.Address{1}, "to": from})
}

func TestSignMessages(t *testing.T) {
	_, client := startChain(t, 0)
	signer := devAddress(t, 4)
	msg := []byte("pay 10 USDT")
	recoverSigner := func(t *testing.T, hash []byte, sig hexutil.Bytes) common.Address {
		t.Helper()
		if len(sig) != crypto.SignatureLength || (sig[64] != 27 && sig[64] != 28) {
			t.Fatalf("signature %x: want 65 bytes with v 27 or 28", sig)
		}
		s := bytes.Clone(sig)
		s[64] -= 27
		pub, err := crypto.SigToPub(hash, s)
		if err != nil {
			t.Fatal(err)
		}
		return crypto.PubkeyToAddress(*pub)
	}

	var ethSig, personalSig hexutil.Bytes
	call(t, client, &ethSig, "eth_sign", signer, hexutil.Bytes(msg))
	call(t, client, &personalSig, "personal_sign", hexutil.Bytes(msg), signer)
	for name, sig := range map[string]hexutil.Bytes{"eth_sign": ethSig, "personal_sign": personalSig} {
		if got := recoverSigner(t, accounts.TextHash(msg), sig); got != signer {
			t.Errorf("%s signed by %s, want %s", name, got, signer)
		}
	}

	typed := apitypes.TypedData{
		Types: apitypes.Types{
			"EIP712Domain": {{Name: "name", Type: "string"}, {Name: "chainId", Type: "uint256"}},
			"Payment":      {{Name: "to", Type: "address"}, {Name: "amount", Type: "uint256"}},
		},
		PrimaryType: "Payment",
		Domain:      apitypes.TypedDataDomain{Name: "paysuite", ChainId: (*math.HexOrDecimal256)(big.NewInt(ChainID))},
		Message:     apitypes.TypedDataMessage{"to": devAddress(t, 1).Hex(), "amount": "1000000"},
	}
	hash, _, err := apitypes.TypedDataAndHash(typed)
	if err != nil {
		t.Fatal(err)
	}
	encoded, err := json.Marshal(typed)
	if err != nil {
		t.Fatal(err)
	}
	// As an object (ethers) and as a JSON string (MetaMask).
	for name, param := range map[string]any{"object": json.RawMessage(encoded), "string": string(encoded)} {
		var sig hexutil.Bytes
		call(t, client, &sig, "eth_signTypedData_v4", signer, param)
		if got := recoverSigner(t, hash, sig); got != signer {
			t.Errorf("eth_signTypedData_v4 (%s) signed by %s, want %s", name, got, signer)
		}
	}

	stranger := common.HexToAddress("0x00000000000000000000000000000000000b0b02")
	callErr(t, client, "eth_sign", stranger, hexutil.Bytes(msg))
	callErr(t, client, "personal_sign", hexutil.Bytes(msg), stranger)
	callErr(t, client, "eth_signTypedData_v4", stranger, json.RawMessage(encoded))
	callErr(t, client, "eth_signTypedData_v4", signer, map[string]any{"primaryType": "Nothing"})
}

func TestImpersonation(t *testing.T) {
	_, client := startChain(t, 0)
	dev := devAddress(t, 3)
	stranger := common.HexToAddress("0x00000000000000000000000000000000000b0b03")

	var res any = "unset"
	call(t, client, &res, "anvil_impersonateAccount", dev)
	if res != nil {
		t.Errorf("anvil_impersonateAccount(development account) = %v, want null", res)
	}
	err := client.Client().CallContext(t.Context(), nil, "anvil_impersonateAccount", stranger)
	if err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("anvil_impersonateAccount(stranger) = %v, want a not-supported error", err)
	}
	call(t, client, nil, "anvil_stopImpersonatingAccount", dev)
	call(t, client, nil, "anvil_stopImpersonatingAccount", stranger)
	callErr(t, client, "anvil_autoImpersonateAccount", true)
	call(t, client, nil, "anvil_autoImpersonateAccount", false)

	// The development account still sends after "stopping".
	var hash common.Hash
	call(t, client, &hash, "eth_sendTransaction", map[string]any{"from": dev, "to": stranger, "value": "0x5"})
	call(t, client, nil, "evm_mine")
	minedTx(t, client, hash)
	if got := etherBalance(t, client, stranger); got.Int64() != 5 {
		t.Errorf("stranger balance %s, want 5", got)
	}
}

func TestNodeInfoAndRefusedStateEdits(t *testing.T) {
	_, client := startChain(t, 0)
	var info struct {
		CurrentBlockNumber    uint64      `json:"currentBlockNumber"`
		CurrentBlockTimestamp uint64      `json:"currentBlockTimestamp"`
		CurrentBlockHash      common.Hash `json:"currentBlockHash"`
		HardFork              string      `json:"hardFork"`
		Environment           struct {
			BaseFee  uint64 `json:"baseFee"`
			ChainID  uint64 `json:"chainId"`
			GasLimit uint64 `json:"gasLimit"`
			GasPrice uint64 `json:"gasPrice"`
		} `json:"environment"`
	}
	call(t, client, &info, "anvil_nodeInfo")
	head := headHeader(t, client)
	if info.CurrentBlockNumber != head.Number.Uint64() || info.CurrentBlockHash != head.Hash() || info.CurrentBlockTimestamp != head.Time {
		t.Errorf("anvil_nodeInfo head %d %s %d, want %d %s %d", info.CurrentBlockNumber, info.CurrentBlockHash,
			info.CurrentBlockTimestamp, head.Number, head.Hash(), head.Time)
	}
	if info.Environment.ChainID != ChainID || info.Environment.GasLimit != head.GasLimit ||
		info.Environment.BaseFee != head.BaseFee.Uint64() || info.Environment.GasPrice < info.Environment.BaseFee || info.HardFork == "" {
		t.Errorf("anvil_nodeInfo = %+v", info)
	}

	addr := devAddress(t, 2)
	for method, args := range map[string][]any{
		"anvil_setCode":      {addr, "0x6000"},
		"anvil_setNonce":     {addr, "0x10"},
		"anvil_setStorageAt": {addr, "0x0", common.Hash{1}},
	} {
		err := client.Client().CallContext(t.Context(), nil, method, args...)
		if err == nil || !strings.Contains(err.Error(), "not supported") {
			t.Errorf("%s = %v, want a not-supported error", method, err)
		}
	}
	if n, err := client.NonceAt(t.Context(), addr, nil); err != nil || n != 0 {
		t.Errorf("nonce after refused anvil_setNonce = %d, %v", n, err)
	}
}
