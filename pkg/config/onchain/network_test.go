package onchain

import (
	"strings"
	"testing"

	"paysuite/pkg/config"
)

func TestNetwork(t *testing.T) {
	defaults := Network{Chain: "ETH", RPCURL: "http://127.0.0.1:8545", Confirmations: 20}
	tests := []struct {
		name    string
		env     map[string]string
		want    Network // Tokens aside: the development USDT in every success
		wantErr string  // the error after "load config: "; empty means success
	}{
		{name: "defaults", env: map[string]string{}, want: defaults},
		{name: "websocket node", env: map[string]string{"ETH_RPC_URL": "wss://node.example:8546", "CHAIN": "BSC", "CONFIRMATIONS": "3"},
			want: Network{Chain: "BSC", RPCURL: "wss://node.example:8546", Confirmations: 3}},
		{name: "node without scheme", env: map[string]string{"ETH_RPC_URL": "127.0.0.1:8545"}, wantErr: "ETH_RPC_URL: must be an http(s) or ws(s) URL"},
		{name: "chain with a colon", env: map[string]string{"CHAIN": "ETH:1"}, wantErr: `CHAIN: must be letters, digits, '-', '_' or '.' (got "ETH:1")`},
		{name: "no confirmations", env: map[string]string{"CONFIRMATIONS": "0"}, wantErr: "CONFIRMATIONS: must be at least 1"},
		{name: "bad tokens", env: map[string]string{"TOKENS": "USDT"}, wantErr: "TOKENS: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"CHAIN", "ETH_RPC_URL", "CONFIRMATIONS", "TOKENS"} {
				t.Setenv(k, tt.env[k]) // empty means the default
			}
			n, err := config.Load[Network]()
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), "load config: "+tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n.Chain != tt.want.Chain || n.RPCURL != tt.want.RPCURL || n.Confirmations != tt.want.Confirmations {
				t.Errorf("got %+v, want %+v", n, tt.want)
			}
			usdt, ok := n.Tokens.BySymbol("USDT")
			if !ok || usdt.Decimals != 6 || usdt.Address.Hex() != "0x5FbDB2315678afecb367f032d93F642f64180aa3" {
				t.Errorf("Tokens = %+v, want the development USDT", n.Tokens)
			}
		})
	}
}
