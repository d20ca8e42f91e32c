package devchain

import (
	"math"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"

	"paysuite/pkg/erc20"
)

// transferToNewHolder sends 1 base unit of test USDT from development account
// 1 to an address that never held any, with gasLimit (0: estimated), mines it
// and returns its receipt.
func transferToNewHolder(t *testing.T, c *Chain, client *ethclient.Client, to common.Address, gasLimit uint64) *types.Receipt {
	t.Helper()
	opts := transactor(t, 1)
	opts.GasLimit = gasLimit
	tx, err := erc20.NewToken(common.HexToAddress(erc20.DevTokenAddress), client).Transfer(opts, to, big.NewInt(1))
	if err != nil {
		t.Fatalf("transfer: %v", err)
	}
	if err := c.Mine(1); err != nil {
		t.Fatal(err)
	}
	rcpt, err := client.TransactionReceipt(t.Context(), tx.Hash())
	if err != nil {
		t.Fatalf("receipt: %v", err)
	}
	return rcpt
}

// mainnetTransferGas is what transferToNewHolder's transfer costs under
// mainnet's rules (Osaka): 21,000 intrinsic, its calldata, the cold reads of
// two balances, a new storage slot for the recipient (20,000) and the
// Transfer log. The same transfer under every fork go-ethereum knows costs
// about three times as much.
const mainnetTransferGas = 51_257

// By default the chain runs mainnet's rules: a token transfer to a new holder
// costs what it costs on mainnet (within 1%), and one sent with the fixed
// 100,000 gas limit that many hot wallets use succeeds; "all" forks is a
// setting away and costs more.
func TestMainnetGasRules(t *testing.T) {
	tests := []struct {
		hardfork string
		mainnet  bool
	}{{"", true}, {HardforkMainnet, true}, {"osaka", true}, {HardforkAll, false}}
	for _, tt := range tests {
		t.Run("hardfork="+tt.hardfork, func(t *testing.T) {
			c, client := startChainConfig(t, Config{HTTPAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0", Hardfork: tt.hardfork})
			rcpt := transferToNewHolder(t, c, client, common.HexToAddress("0x00000000000000000000000000000000000a11ce"), 0)
			off := math.Abs(float64(rcpt.GasUsed)-mainnetTransferGas) / mainnetTransferGas
			if tt.mainnet != (off <= 0.01) {
				t.Fatalf("transfer to a new holder used %d gas; mainnet's rules: %d (mainnet rules expected: %v)", rcpt.GasUsed, mainnetTransferGas, tt.mainnet)
			}
			if !tt.mainnet {
				return
			}
			fixed := transferToNewHolder(t, c, client, common.HexToAddress("0x00000000000000000000000000000000000b0b00"), 100_000)
			if fixed.Status != types.ReceiptStatusSuccessful {
				t.Fatalf("transfer with a 100,000 gas limit failed (gas used %d)", fixed.GasUsed)
			}
		})
	}
}

func TestHardforkSetting(t *testing.T) {
	for _, name := range Hardforks() {
		if _, err := chainConfig(name, ChainID); err != nil {
			t.Errorf("chainConfig(%q): %v", name, err)
		}
	}
	c, err := chainConfig("prague", ChainID)
	if err != nil || c.PragueTime == nil || c.OsakaTime != nil || c.CancunTime == nil {
		t.Errorf("prague: %v, %+v", err, c)
	}
	if c, err := chainConfig("", ChainID); err != nil || c.OsakaTime == nil || c.BogotaTime != nil || c.ChainID.Int64() != ChainID {
		t.Errorf("default: %v, %+v", err, c)
	}
	if err := (Config{HTTPAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0", Hardfork: "frontier2"}).Validate(); err == nil {
		t.Error("an unknown hardfork was accepted")
	}
}
