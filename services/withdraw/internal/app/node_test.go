package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/rs/zerolog"

	pkgconfig "paysuite/pkg/config"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/devchain"
	"paysuite/pkg/keystore"
	"paysuite/services/withdraw/internal/config"
)

// The development chain runs with its own chain id only, so the node of
// another chain here is the development chain behind a proxy that answers
// eth_chainId with the other chain's id: what the service reads from it is
// that chain's id, everything else is the development chain's.
type foreignNode struct {
	target  string
	chainID string // hex
	mu      sync.Mutex
	methods []string
}

func (n *foreignNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var call struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	if json.Unmarshal(body, &call) != nil {
		call.Method = "(batch)"
	}
	n.mu.Lock()
	n.methods = append(n.methods, call.Method)
	n.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if call.Method == "eth_chainId" {
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":%q}`, call.ID, n.chainID)
		return
	}
	resp, err := http.Post(n.target, "application/json", bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

func (n *foreignNode) calls() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.methods)
}

// startForeignNode serves the development chain as a node of chain id.
func startForeignNode(t *testing.T, chainID string) (*foreignNode, string, *devchain.Chain) {
	t.Helper()
	chain, err := devchain.Start(t.Context(), devchain.Config{HTTPAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0"}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = chain.Close() })
	node := &foreignNode{target: chain.HTTPURL(), chainID: chainID}
	srv := httptest.NewServer(node)
	t.Cleanup(srv.Close)
	return node, srv.URL, chain
}

// The development mode is refused on a node of another chain, before the
// service opens anything or asks the node anything but its chain id; outside
// the development mode any chain is served, and the development chain in it.
func TestDialNodeChecksTheChain(t *testing.T) {
	mainnet, mainnetURL, chain := startForeignNode(t, "0x1")
	tests := []struct {
		name    string
		dev     bool
		url     string
		refused bool
	}{
		{"development mode on chain 1", true, mainnetURL, true},
		{"development mode on the development chain", true, chain.HTTPURL(), false},
		{"production on chain 1", false, mainnetURL, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cfg config.Config
			cfg.DevMode, cfg.RPCURL = tt.dev, tt.url
			node, err := dialNode(t.Context(), cfg)
			if !tt.refused {
				if err != nil {
					t.Fatal(err)
				}
				node.Close()
				return
			}
			var cerr *pkgconfig.Error
			if !errors.As(err, &cerr) || cerr.Var != "DEV_MODE" || !strings.Contains(err.Error(), "chain id is 1,") {
				t.Fatalf("dialNode = %v, want DEV_MODE refused on chain id 1", err)
			}
		})
	}
	if got := mainnet.calls(); slices.ContainsFunc(got, func(m string) bool { return m != "eth_chainId" }) {
		t.Fatalf("the node was asked %v, want its chain id only", got)
	}
}

// withdraw in the development mode refuses to start on a node of chain 1,
// saying why, before anything else: the development accounts fund nothing.
func TestDevModeRefusedOnAnotherChain(t *testing.T) {
	node, url, chain := startForeignNode(t, "0x1")
	dbCfg := dbtest.Config(t)
	for k, v := range map[string]string{
		"DEV_MODE": "true", "ETH_RPC_URL": url, "MYSQL_DSN": dbCfg.DSN, "MYSQL_SCHEMA": dbCfg.Schema,
		// A virtual host that does not exist: the service must not get there.
		"AMQP_URL": brokerURL + "withdraw-test-absent-" + randomID(t), "HTTP_ADDR": "127.0.0.1:0",
	} {
		t.Setenv(k, v)
	}
	cfg, err := pkgconfig.Load[config.Config]()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	err = Run(ctx, cfg, zerolog.Nop())
	if err == nil || !strings.Contains(err.Error(), "DEV_MODE: refused: the node's chain id is 1,") {
		t.Fatalf("Run = %v, want DEV_MODE refused on chain id 1", err)
	}
	if got := node.calls(); !slices.Equal(got, []string{"eth_chainId"}) {
		t.Fatalf("the node was asked %v, want its chain id only", got)
	}
	key, err := cfg.HotKey()
	if err != nil {
		t.Fatal(err)
	}
	eth, err := ethclient.Dial(chain.HTTPURL())
	if err != nil {
		t.Fatal(err)
	}
	defer eth.Close()
	if bal, err := eth.BalanceAt(t.Context(), keystore.Address(key), nil); err != nil || bal.Sign() != 0 {
		t.Fatalf("the hot wallet holds %v wei (%v): it was funded", bal, err)
	}
}
