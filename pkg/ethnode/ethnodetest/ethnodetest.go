// Package ethnodetest serves a development chain as the node of another
// chain: the development chain runs with its own chain id only, so a test of
// what a service does on, say, mainnet puts a proxy in front of it that
// answers eth_chainId with the other id and forwards everything else.
package ethnodetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
)

// ForeignNode is the proxy; it records the methods it was asked.
type ForeignNode struct {
	// URL is the proxy's JSON-RPC address.
	URL     string
	target  string
	chainID uint64
	mu      sync.Mutex
	methods []string
}

// Serve starts a proxy to the JSON-RPC address target that reports chainID;
// it is closed when the test ends.
func Serve(t testing.TB, target string, chainID uint64) *ForeignNode {
	t.Helper()
	n := &ForeignNode{target: target, chainID: chainID}
	srv := httptest.NewServer(n)
	t.Cleanup(srv.Close)
	n.URL = srv.URL
	return n
}

// ServeHTTP answers eth_chainId itself and forwards every other call.
func (n *ForeignNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":"0x%x"}`, call.ID, n.chainID)
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

// Calls returns the methods asked so far, in order ("(batch)" for a batch).
func (n *ForeignNode) Calls() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.methods)
}
