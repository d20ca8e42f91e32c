package ethnode_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"paysuite/pkg/config"
	"paysuite/pkg/devchain"
	"paysuite/pkg/ethnode"
	"paysuite/pkg/ethnode/ethnodetest"
)

func startChain(t *testing.T, addr string) *devchain.Chain {
	t.Helper()
	chain, err := devchain.Start(t.Context(), devchain.Config{HTTPAddr: addr, WSAddr: "127.0.0.1:0"}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = chain.Close() })
	return chain
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
