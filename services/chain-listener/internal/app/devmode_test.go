package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	pkgconfig "paysuite/pkg/config"
	"paysuite/services/chain-listener/internal/app"
	"paysuite/services/chain-listener/internal/config"
)

// TestDevModeRefusedOnRealChain starts the listener in the development mode
// against a node that reports Ethereum mainnet's chain id (a local stand-in
// answering eth_chainId): it refuses to start, naming DEV_MODE, before it
// touches the database or the broker.
func TestDevModeRefusedOnRealChain(t *testing.T) {
	node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Method != "eth_chainId" {
			http.Error(w, "unexpected call", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": req.ID, "result": "0x1"})
	}))
	t.Cleanup(node.Close)
	t.Setenv("DEV_MODE", "true")
	t.Setenv("ETH_RPC_URL", node.URL)
	t.Setenv("ETH_WS_URL", "")
	t.Setenv("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/")
	cfg, err := pkgconfig.Load[config.Config]()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	err = app.Run(ctx, cfg, zerolog.Nop())
	if err == nil || !strings.Contains(err.Error(), "DEV_MODE: refused: the node's chain id is 1,") {
		t.Fatalf("Run = %v, want the development mode refused", err)
	}
}
