package devchain

import (
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/node"
	"github.com/rs/zerolog"

	"paysuite/pkg/erc20"
)

// chainView is what a restart must keep: the head and the state of the accounts a test touched.
type chainView struct {
	headNum  uint64
	headHash common.Hash
	tokens   map[common.Address]*big.Int
	ether    map[common.Address]*big.Int
	nonces   map[common.Address]uint64
}

// viewChain reads the head and the token balance, ether balance and nonce of addrs at the head.
func viewChain(t *testing.T, client *ethclient.Client, addrs []common.Address) chainView {
	t.Helper()
	head, err := client.HeaderByNumber(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	token := erc20.NewToken(common.HexToAddress(erc20.DevTokenAddress), client)
	v := chainView{headNum: head.Number.Uint64(), headHash: head.Hash(),
		tokens: map[common.Address]*big.Int{}, ether: map[common.Address]*big.Int{}, nonces: map[common.Address]uint64{}}
	for _, a := range addrs {
		v.tokens[a] = balance(t, token, a)
		v.ether[a] = etherBalance(t, client, a)
		nonce, err := client.NonceAt(t.Context(), a, nil)
		if err != nil {
			t.Fatal(err)
		}
		v.nonces[a] = nonce
	}
	return v
}

// TestDataDirContinuesChain stops a chain kept in a data folder and starts it again: the second
// start continues the first one's chain, with the state of its last blocks.
func TestDataDirContinuesChain(t *testing.T) {
	cfg := Config{HTTPAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0", DataDir: t.TempDir()}
	first, client := startChainConfig(t, cfg)
	token := erc20.NewToken(common.HexToAddress(erc20.DevTokenAddress), client)
	tokenReceiver, etherReceiver := common.HexToAddress("0x7e57000000000000000000000000000000000001"),
		common.HexToAddress("0x7e57000000000000000000000000000000000002")

	// The last block before Close holds a transfer, so its state must survive, not only older blocks'.
	if _, err := token.Transfer(transactor(t, 1), tokenReceiver, big.NewInt(1_234_567)); err != nil {
		t.Fatal(err)
	}
	if err := first.Mine(1); err != nil {
		t.Fatal(err)
	}
	sendEther(t, client, 2, etherReceiver, big.NewInt(milliEther))
	if err := first.Mine(1); err != nil {
		t.Fatal(err)
	}
	addrs := []common.Address{devAddress(t, 0), devAddress(t, 1), devAddress(t, 2), tokenReceiver, etherReceiver}
	before := viewChain(t, client, addrs)
	if before.headNum != 3 || before.nonces[devAddress(t, 1)] != 1 || before.nonces[devAddress(t, 2)] != 1 ||
		before.tokens[tokenReceiver].Int64() != 1_234_567 || before.ether[etherReceiver].Int64() != milliEther {
		t.Fatalf("chain before the restart: %+v", before)
	}

	// The folder is locked while the chain runs.
	_, err := Start(t.Context(), cfg, zerolog.Nop())
	if !errors.Is(err, node.ErrDatadirUsed) || !strings.Contains(err.Error(), "DEVCHAIN_DATA_DIR="+cfg.DataDir) {
		t.Fatalf("second Start on a folder in use: %v, want an error naming DEVCHAIN_DATA_DIR (%v)", err, node.ErrDatadirUsed)
	}

	client.Close()
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	// Other rules than the stored chain's are refused, naming both settings and the stored rules.
	mismatch := cfg
	mismatch.Hardfork = "cancun"
	_, err = Start(t.Context(), mismatch, zerolog.Nop())
	if err == nil {
		t.Fatal("Start with DEVCHAIN_HARDFORK=cancun on a mainnet chain succeeded")
	}
	for _, want := range []string{"DEVCHAIN_HARDFORK=cancun", "DEVCHAIN_DATA_DIR=" + cfg.DataDir, "created with DEVCHAIN_HARDFORK=mainnet"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("hardfork mismatch error %q does not say %q", err, want)
		}
	}

	second, client := startChainConfig(t, cfg)
	after := viewChain(t, client, addrs)
	if after.headNum != before.headNum || after.headHash != before.headHash {
		t.Fatalf("head after the restart = %d %s, want %d %s", after.headNum, after.headHash, before.headNum, before.headHash)
	}
	for _, a := range addrs {
		if after.tokens[a].Cmp(before.tokens[a]) != 0 || after.ether[a].Cmp(before.ether[a]) != 0 || after.nonces[a] != before.nonces[a] {
			t.Errorf("%s after the restart: USDT %s ETH %s nonce %d; before: USDT %s ETH %s nonce %d", a,
				after.tokens[a], after.ether[a], after.nonces[a], before.tokens[a], before.ether[a], before.nonces[a])
		}
	}
	code, err := client.CodeAt(t.Context(), common.HexToAddress(erc20.DevTokenAddress), nil)
	if err != nil || len(code) == 0 {
		t.Fatalf("no token code after the restart: %v", err)
	}

	// Mining continues on the stored head, with the stored nonces.
	sendEther(t, client, 2, etherReceiver, big.NewInt(milliEther))
	if err := second.Mine(1); err != nil {
		t.Fatal(err)
	}
	next, err := client.HeaderByNumber(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if next.Number.Uint64() != before.headNum+1 || next.ParentHash != before.headHash {
		t.Fatalf("block after the restart = %d with parent %s, want %d on %s", next.Number, next.ParentHash, before.headNum+1, before.headHash)
	}
	if got := etherBalance(t, client, etherReceiver); got.Int64() != 2*milliEther {
		t.Errorf("ether receiver after a transfer on the continued chain = %s, want %d", got, 2*milliEther)
	}
}

// milliEther is the amount of the ether transfers: a thousandth of an ether, in wei.
const milliEther = 1_000_000_000_000_000

// TestDataDirReopensEachRules checks that a chain created with other rules than mainnet's is
// recognised as the same rules when it is opened again.
func TestDataDirReopensEachRules(t *testing.T) {
	for _, hardfork := range []string{HardforkAll, "prague"} {
		t.Run(hardfork, func(t *testing.T) {
			cfg := Config{HTTPAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0", Hardfork: hardfork, DataDir: t.TempDir()}
			first, err := Start(t.Context(), cfg, zerolog.Nop())
			if err != nil {
				t.Fatal(err)
			}
			if err := first.Close(); err != nil {
				t.Fatal(err)
			}
			second, client := startChainConfig(t, cfg)
			if n := headNumber(t, client); n != 1 {
				t.Errorf("head after reopening = %d, want 1", n)
			}
			if err := second.Mine(1); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestDataDirRefusesUncleanStop checks that a chain whose last run was killed is refused, without
// touching it, rather than continued from older state.
func TestDataDirRefusesUncleanStop(t *testing.T) {
	cfg := Config{HTTPAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0", DataDir: t.TempDir()}
	running := filepath.Join(cfg.DataDir, "devchain", runningFileName)
	first, err := Start(t.Context(), cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Mine(2); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(running); err != nil {
		t.Fatalf("running chain: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(running); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s after Close: %v, want it removed", running, err)
	}

	// What a killed run leaves behind.
	if err := os.WriteFile(running, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Start(t.Context(), cfg, zerolog.Nop())
	if err == nil || !strings.Contains(err.Error(), "not stopped cleanly") || !strings.Contains(err.Error(), "DEVCHAIN_DATA_DIR="+cfg.DataDir) {
		t.Fatalf("Start after an unclean stop: %v, want a refusal naming DEVCHAIN_DATA_DIR", err)
	}
	// The refusal left the chain as it was.
	if err := os.Remove(running); err != nil {
		t.Fatal(err)
	}
	_, client := startChainConfig(t, cfg)
	if n := headNumber(t, client); n != 3 {
		t.Errorf("head after the refused start = %d, want 3", n)
	}
}

// TestSecondDevelopmentChain runs the BSC development chain (chain id 1338) and checks that its data
// folder refuses to be reopened as another chain.
func TestSecondDevelopmentChain(t *testing.T) {
	cfg := Config{HTTPAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0", ChainID: BSCChainID, DataDir: t.TempDir()}
	bsc, err := Start(t.Context(), cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	client, err := ethclient.Dial(bsc.HTTPURL())
	if err != nil {
		t.Fatal(err)
	}
	id, err := client.ChainID(t.Context())
	if err != nil || id.Uint64() != BSCChainID || bsc.ChainID() != BSCChainID {
		t.Fatalf("chain id %v (%v), Chain.ChainID %d, want %d", id, err, bsc.ChainID(), BSCChainID)
	}
	// Transactions are signed for this chain's id: the token's deployment was, and a transfer is.
	token := erc20.NewToken(common.HexToAddress(erc20.DevTokenAddress), client)
	if _, err := token.Transfer(transactorFor(t, 1, BSCChainID), common.HexToAddress("0x7e57000000000000000000000000000000000003"), big.NewInt(5)); err != nil {
		t.Fatal(err)
	}
	// Its USDT has BSC's 18 decimals, and each account holds a billion of them.
	decimals, err := token.Decimals(t.Context())
	if err != nil || decimals != 18 {
		t.Errorf("decimals = %d (%v), want 18", decimals, err)
	}
	if got, want := balance(t, token, common.HexToAddress("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")), TokenAmountEach(BSCChainID); got.Cmp(want) != 0 || want.String() != "1000000000"+strings.Repeat("0", 18) {
		t.Errorf("account 0 holds %s, want %s", got, want)
	}
	client.Close()
	if err := bsc.Close(); err != nil {
		t.Fatal(err)
	}
	cfg.ChainID = ChainID
	_, err = Start(t.Context(), cfg, zerolog.Nop())
	if err == nil || !strings.Contains(err.Error(), "DEVCHAIN_CHAIN_ID=1337 does not match") || !strings.Contains(err.Error(), "whose id is 1338") {
		t.Fatalf("Start with another chain id on the folder: %v, want a refusal", err)
	}
	if err := (Config{HTTPAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0", ChainID: 1}).Validate(); err == nil ||
		!strings.Contains(err.Error(), "DEVCHAIN_CHAIN_ID: 1 is not a development chain's id") {
		t.Fatalf("Validate with chain id 1: %v, want a refusal", err)
	}
}
