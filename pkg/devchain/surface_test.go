package devchain

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"

	"paysuite/pkg/erc20"
)

// TestStandardSurface checks the standard methods wallets and indexers rely on, as go-ethereum serves
// them on this chain.
func TestStandardSurface(t *testing.T) {
	_, client := startChain(t, 0)
	ctx := t.Context()

	var chainID hexutil.Uint64
	call(t, client, &chainID, "eth_chainId")
	var netVersion, clientVersion string
	call(t, client, &netVersion, "net_version")
	call(t, client, &clientVersion, "web3_clientVersion")
	if chainID != ChainID || netVersion != "1337" || clientVersion == "" {
		t.Errorf("eth_chainId %d, net_version %q, web3_clientVersion %q", chainID, netVersion, clientVersion)
	}

	tip, err := client.SuggestGasTipCap(ctx)
	if err != nil || tip.Sign() <= 0 {
		t.Errorf("eth_maxPriorityFeePerGas = %v, %v", tip, err)
	}
	price, err := client.SuggestGasPrice(ctx)
	if err != nil || price.Cmp(tip) <= 0 {
		t.Errorf("eth_gasPrice = %v, %v; want above the tip %v", price, err, tip)
	}
	call(t, client, nil, "anvil_mine", 3)
	history, err := client.FeeHistory(ctx, 3, nil, []float64{50})
	if err != nil || len(history.BaseFee) != 4 || len(history.Reward) != 3 {
		t.Errorf("eth_feeHistory = %+v, %v", history, err)
	}

	// Block 1 deployed the token and minted to the ten accounts: its receipts and logs by block hash.
	block1, err := client.HeaderByNumber(ctx, big.NewInt(1))
	if err != nil {
		t.Fatal(err)
	}
	var receipts []*types.Receipt
	call(t, client, &receipts, "eth_getBlockReceipts", block1.Hash())
	if len(receipts) != 1 || receipts[0].ContractAddress != common.HexToAddress(erc20.DevTokenAddress) {
		t.Errorf("eth_getBlockReceipts(block 1) = %+v", receipts)
	}
	hash := block1.Hash()
	logs, err := client.FilterLogs(ctx, ethereum.FilterQuery{BlockHash: &hash})
	if err != nil || len(logs) != FundedAccounts {
		t.Errorf("eth_getLogs by block hash: %d logs, %v; want %d mints", len(logs), err, FundedAccounts)
	}

	var status map[string]hexutil.Uint
	call(t, client, &status, "txpool_status")
	if _, ok := status["pending"]; !ok {
		t.Errorf("txpool_status = %v", status)
	}
}
