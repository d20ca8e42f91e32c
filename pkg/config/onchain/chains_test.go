package onchain

import (
	"strings"
	"testing"

	"paysuite/pkg/config"
)

func TestChainsWithoutListServeTheOneNetwork(t *testing.T) {
	t.Setenv("CHAIN", "POLY")
	t.Setenv("ETH_RPC_URL", "https://node.example")
	t.Setenv("CONFIRMATIONS", "7")
	c, err := config.Load[Chains]()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.List) != 1 {
		t.Fatalf("List = %+v, want one chain", c.List)
	}
	got := c.List[0]
	if got.Name != "POLY" || got.RPCURL != "https://node.example" || got.Confirmations != 7 ||
		got.Finality != FinalityConfirmations || got.ChainID != 0 || len(got.Tokens) != 1 {
		t.Errorf("chain = %+v", got)
	}
}

func TestChainsList(t *testing.T) {
	t.Setenv("CHAINS", "ETH, BSC,arb-one")
	t.Setenv("CHAIN_BSC_RPC_URL", "http://10.0.0.2:8547")
	t.Setenv("CHAIN_BSC_CONFIRMATIONS", "15")
	t.Setenv("CHAIN_ARB_ONE_CHAIN_ID", "42161")
	t.Setenv("CHAIN_ARB_ONE_RPC_URL", "wss://arb.example")
	t.Setenv("CHAIN_ARB_ONE_TOKENS", "USDT:0xFd086bC7CD5C481DCC9C85ebE478A1C0b69FCbb9:6,USDC:0xaf88d065e77c8cC2239327C5EDb3A432268e5831:6")
	t.Setenv("CHAIN_ARB_ONE_FINALITY", "finalized")
	c, err := config.Load[Chains]()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.List) != 3 {
		t.Fatalf("List = %+v, want three chains", c.List)
	}
	eth, _ := c.ByName("ETH")
	if eth.ChainID != 1337 || eth.RPCURL != "http://127.0.0.1:8545" || eth.WSURL != "ws://127.0.0.1:8546" || eth.Confirmations != 20 {
		t.Errorf("ETH = %+v, want the development chain's settings", eth)
	}
	if usdt, _ := eth.Tokens.BySymbol("USDT"); usdt.Decimals != 6 {
		t.Errorf("ETH USDT decimals = %d, want 6", usdt.Decimals)
	}
	bsc, _ := c.ByName("BSC")
	if bsc.ChainID != 1338 || bsc.RPCURL != "http://10.0.0.2:8547" || bsc.WSURL != "ws://127.0.0.1:8548" || bsc.Confirmations != 15 {
		t.Errorf("BSC = %+v, want the development chain's settings but the URL and confirmations set", bsc)
	}
	if usdt, _ := bsc.Tokens.BySymbol("USDT"); usdt.Decimals != 18 || usdt.Address != eth.Tokens[0].Address {
		t.Errorf("BSC USDT = %+v, want 18 decimals at ETH's address", usdt)
	}
	arb, ok := c.ByName("arb-one")
	if bsc.NativeSymbol != "BNB" || eth.NativeSymbol != "ETH" {
		t.Errorf("native symbols %q, %q, want ETH and BNB", eth.NativeSymbol, bsc.NativeSymbol)
	}
	if !ok || arb.ChainID != 42161 || arb.Finality != FinalityFinalized || len(arb.Tokens) != 2 || arb.Confirmations != 20 || arb.WSURL != "" ||
		arb.NativeSymbol != "arb-one" {
		t.Errorf("arb-one = %+v", arb)
	}
	if _, ok := c.ByName("eth"); ok {
		t.Error("ByName matched eth to ETH: names compare exactly")
	}
}

func TestChainsRefusals(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"listed twice", map[string]string{"CHAINS": "ETH,BSC,ETH"}, "CHAINS: ETH is listed twice"},
		{"bad name", map[string]string{"CHAINS": "ETH,B:SC"}, `CHAINS: "B:SC" must be letters`},
		{"no chain id", map[string]string{"CHAINS": "TRON", "CHAIN_TRON_RPC_URL": "http://x"}, "CHAIN_TRON_CHAIN_ID: required"},
		{"no tokens", map[string]string{"CHAINS": "POLY", "CHAIN_POLY_CHAIN_ID": "137", "CHAIN_POLY_RPC_URL": "http://x"}, "CHAIN_POLY_TOKENS: required for chain id 137"},
		{"development tokens on a real chain", map[string]string{"CHAINS": "ETH", "CHAIN_ETH_CHAIN_ID": "1", "CHAIN_ETH_RPC_URL": "https://x"}, "CHAIN_ETH_TOKENS: required for chain id 1"},
		{"bad finality", map[string]string{"CHAINS": "ETH", "CHAIN_ETH_FINALITY": "safe"}, `CHAIN_ETH_FINALITY: must be confirmations or finalized (got "safe")`},
		{"bad node", map[string]string{"CHAINS": "BSC", "CHAIN_BSC_RPC_URL": "127.0.0.1:8547"}, "CHAIN_BSC_RPC_URL: must be an http(s) or ws(s) URL"},
		{"bad websocket", map[string]string{"CHAINS": "BSC", "CHAIN_BSC_WS_URL": "http://127.0.0.1:8548"}, "CHAIN_BSC_WS_URL: must be a ws(s) URL or empty"},
		{"bad chain id", map[string]string{"CHAINS": "BSC", "CHAIN_BSC_CHAIN_ID": "x"}, "chain BSC: "},
		{"bad tokens", map[string]string{"CHAINS": "BSC", "CHAIN_BSC_TOKENS": "USDT"}, "CHAIN_BSC_TOKENS: "},
		{"both forms", map[string]string{"CHAINS": "ETH,BSC", "ETH_RPC_URL": "http://x"}, "ETH_RPC_URL: not used with CHAINS: set CHAIN_ETH_RPC_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, err := config.Load[Chains]()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestChainCheckNode(t *testing.T) {
	bsc := Chain{Name: "BSC", ChainID: 1338}
	if err := bsc.CheckNode(1338); err != nil {
		t.Errorf("CheckNode(1338) = %v", err)
	}
	if err := bsc.CheckNode(1337); err == nil || !strings.Contains(err.Error(), "CHAIN_BSC_CHAIN_ID is 1338") {
		t.Errorf("CheckNode(1337) = %v, want a refusal naming CHAIN_BSC_CHAIN_ID", err)
	}
	if err := (Chain{Name: "ETH"}).CheckNode(1); err != nil {
		t.Errorf("single-chain form: CheckNode(1) = %v, want any id taken", err)
	}
}
