package ethnode_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"paysuite/pkg/config"
	"paysuite/pkg/config/onchain"
	"paysuite/pkg/devchain"
	"paysuite/pkg/devchain/devchaintest"
	"paysuite/pkg/ethnode"
	"paysuite/pkg/ethnode/ethnodetest"
)

// startChain starts a development chain serving JSON-RPC over HTTP on addr
// until the test ends.
func startChain(t *testing.T, addr string) *devchain.Chain {
	t.Helper()
	return devchaintest.StartWith(t, devchain.Config{HTTPAddr: addr}).Chain
}

// The development mode is refused on a node of another chain, which is asked
// nothing but its chain id; outside the development mode any chain is served.
func TestDialChecksTheChain(t *testing.T) {
	chain := startChain(t, "127.0.0.1:0")
	mainnet := ethnodetest.Serve(t, chain.HTTPURL(), 1)
	tests := []struct {
		name    string
		dev     bool
		url     string
		refused bool
	}{
		{"development mode on chain 1", true, mainnet.URL, true},
		{"development mode on the development chain", true, chain.HTTPURL(), false},
		{"production on chain 1", false, mainnet.URL, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			common := config.Common{DevMode: tt.dev}
			c, err := ethnode.Dial(t.Context(), tt.url, common.CheckDevChain, zerolog.Nop())
			if !tt.refused {
				if err != nil {
					t.Fatal(err)
				}
				c.Close()
				return
			}
			var cerr *config.Error
			if !errors.As(err, &cerr) || cerr.Var != "DEV_MODE" || !strings.Contains(err.Error(), "chain id is 1,") {
				t.Fatalf("Dial = %v, want DEV_MODE refused on chain id 1", err)
			}
		})
	}
	if got := mainnet.Calls(); slices.ContainsFunc(got, func(m string) bool { return m != "eth_chainId" }) {
		t.Fatalf("the node was asked %v, want its chain id only", got)
	}
}

// A node that starts after the service is waited for.
func TestDialWaitsForTheNode(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	type result struct{ err error }
	done := make(chan result, 1)
	go func() {
		c, err := ethnode.Dial(context.Background(), "http://"+addr, func(uint64) error { return nil }, zerolog.Nop())
		if err == nil {
			c.Close()
		}
		done <- result{err}
	}()
	select {
	case r := <-done:
		t.Fatalf("Dial returned before the node was up: %v", r.err)
	case <-time.After(time.Second): // the node is still down: Dial must be retrying, not returning
	}
	startChain(t, addr)
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
	case <-time.After(ethnode.Wait):
		t.Fatal("Dial never connected to the node that came up")
	}
}

// A node URL's API key and credentials appear neither in the error of a dial
// that fails nor in the log lines of its retries.
func TestDialHidesTheURLSecrets(t *testing.T) {
	const key, password = "0123456789abcdef0123456789abcdef", "s3cret-pass"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	_ = l.Close()
	// A provider that refuses the key and quotes it back.
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "invalid project id "+strings.TrimPrefix(r.URL.Path, "/v3/"), http.StatusUnauthorized)
	}))
	t.Cleanup(refusing.Close)
	cases := []struct{ name, url string }{
		{"key in the path, node down", "http://" + closed + "/v3/" + key},
		{"key in the query, node down", "http://" + closed + "/rpc?apikey=" + key},
		{"credentials over WebSocket, node down", "ws://user:" + password + "@" + closed + "/" + key},
		{"key refused and quoted back", refusing.URL + "/v3/" + key},
		{"URL that does not parse", "http://node.example:port/v3/" + key},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
			defer cancel()
			_, err := ethnode.Dial(ctx, c.url, func(uint64) error { return nil }, zerolog.New(&logs))
			if err == nil {
				t.Fatal("Dial succeeded")
			}
			if logs.Len() == 0 {
				t.Fatal("no retry was logged")
			}
			for _, out := range []string{err.Error(), logs.String()} {
				if strings.Contains(out, key) || strings.Contains(out, password) {
					t.Errorf("the secret shows in %q", out)
				}
			}
		})
	}
}

// Every chain of a list is dialled and checked against its own chain id: a
// list whose BSC URL leads to ETH's node is refused, naming the chain.
func TestDialChainsChecksEachChain(t *testing.T) {
	eth := startChain(t, "127.0.0.1:0")
	bsc := devchaintest.StartWith(t, devchain.Config{ChainID: devchain.BSCChainID}).Chain
	list := []onchain.Chain{{Name: "ETH", ChainID: devchain.ChainID, RPCURL: eth.HTTPURL()}, {Name: "BSC", ChainID: devchain.BSCChainID, RPCURL: bsc.HTTPURL()}}
	dev := config.Common{DevMode: true}
	nodes, err := ethnode.DialChains(t.Context(), list, dev.CheckDevChain, zerolog.Nop())
	if err != nil || len(nodes) != 2 {
		t.Fatalf("DialChains = %d nodes, %v", len(nodes), err)
	}
	nodes.Close()

	list[1].RPCURL = eth.HTTPURL()
	_, err = ethnode.DialChains(t.Context(), list, dev.CheckDevChain, zerolog.Nop())
	if err == nil || !strings.Contains(err.Error(), "chain BSC: ") || !strings.Contains(err.Error(), "CHAIN_BSC_CHAIN_ID is 1338") {
		t.Fatalf("DialChains with BSC on ETH's node = %v, want a refusal naming BSC", err)
	}
}
