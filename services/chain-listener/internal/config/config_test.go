package config_test

import (
	"testing"

	pkgconfig "paysuite/pkg/config"
	"paysuite/pkg/config/configtest"
	"paysuite/services/chain-listener/internal/config"
)

func TestDevDefaults(t *testing.T) {
	t.Setenv("DEV_MODE", "true")
	cfg, err := pkgconfig.Load[config.Config]()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Chain != "ETH" || cfg.RPCURL != "http://127.0.0.1:8545" || cfg.WSURL != "ws://127.0.0.1:8546" || cfg.Confirmations != 20 || len(cfg.Tokens) != 1 {
		t.Fatalf("chain defaults: %s at %s and %s, %d confirmations, tokens %v", cfg.Chain, cfg.RPCURL, cfg.WSURL, cfg.Confirmations, cfg.Tokens)
	}
	if len(cfg.List) != 1 || cfg.List[0].Name != "ETH" || cfg.List[0].WSURL != "ws://127.0.0.1:8546" {
		t.Fatalf("single-chain form: chains %+v", cfg.List)
	}
	if cfg.Start != nil || cfg.DB.Schema != "paysuite_listener" {
		t.Fatalf("start %v, schema %q", cfg.Start, cfg.DB.Schema)
	}
	t.Setenv("START_BLOCK", "42")
	if cfg, err = pkgconfig.Load[config.Config](); err != nil || cfg.Start == nil || *cfg.Start != 42 {
		t.Fatalf("START_BLOCK=42: start %v, %v", cfg.Start, err)
	}
}

func TestSeveralChains(t *testing.T) {
	t.Setenv("DEV_MODE", "true")
	t.Setenv("CHAINS", "ETH,BSC")
	t.Setenv("CHAIN_BSC_WS_URL", "ws://127.0.0.1:18548")
	t.Setenv("CHAIN_BSC_FINALITY", "finalized")
	cfg, err := pkgconfig.Load[config.Config]()
	if err != nil {
		t.Fatal(err)
	}
	bsc, ok := cfg.ByName("BSC")
	if len(cfg.List) != 2 || !ok || bsc.WSURL != "ws://127.0.0.1:18548" || bsc.Finality != "finalized" || bsc.Tokens[0].Decimals != 18 {
		t.Fatalf("chains %+v", cfg.List)
	}
	if eth, _ := cfg.ByName("ETH"); eth.WSURL != "ws://127.0.0.1:8546" || eth.Finality != "confirmations" {
		t.Fatalf("ETH %+v", eth)
	}
}

func TestErrorsNameTheVariable(t *testing.T) {
	configtest.ExpectRefusals[config.Config](t, []configtest.Refusal{
		{Env: map[string]string{"DEV_MODE": "true", "ETH_WS_URL": "http://127.0.0.1:8546"}, Want: "ETH_WS_URL: must be a ws(s) URL or empty"},
		{Env: map[string]string{"DEV_MODE": "true", "CHAIN": "ETH:1"}, Want: "CHAIN: must be letters"},
		{Env: map[string]string{"DEV_MODE": "true", "CHAINS": "ETH,BSC", "ETH_WS_URL": "ws://127.0.0.1:8546"}, Want: "ETH_WS_URL: not used with CHAINS"},
		{Env: map[string]string{"DEV_MODE": "true", "START_BLOCK": "first"}, Want: "START_BLOCK: must be a block number or latest"},
		{Env: map[string]string{"DEV_MODE": "true", "SCAN_BATCH_BLOCKS": "0"}, Want: "SCAN_BATCH_BLOCKS: must be 1..5000"},
	})
}
