package config_test

import (
	"strings"
	"testing"

	pkgconfig "paysuite/pkg/config"
	"paysuite/services/pay/internal/config"
)

const (
	collection = "0x00000000000000000000000000000000000000c0"
	cold       = "0x00000000000000000000000000000000000000c1"
)

// Sweep settings are read per chain in each token's decimals; a chain
// without them is not swept, and a wrong one names its variable.
func TestSweepSettings(t *testing.T) {
	t.Setenv("DEV_MODE", "true")
	t.Setenv("CHAINS", "ETH,BSC")
	t.Setenv("CHAIN_ETH_COLLECTION_WALLET", collection)
	t.Setenv("CHAIN_ETH_COLD_WALLET", cold)
	t.Setenv("CHAIN_ETH_SWEEP_THRESHOLDS", "USDT=12.5")
	t.Setenv("CHAIN_ETH_COLLECTION_CEILINGS", "USDT=1000")
	t.Setenv("CHAIN_ETH_COLLECTION_FLOORS", "USDT=100")
	t.Setenv("CHAIN_ETH_SWEEP_MAX_GAS_GWEI", "1.5")
	cfg, err := pkgconfig.Load[config.Config]()
	if err != nil {
		t.Fatal(err)
	}
	eth, bsc := cfg.Sweeps["ETH"], cfg.Sweeps["BSC"]
	if !eth.On() || bsc.On() {
		t.Fatalf("ETH swept %v, BSC swept %v: want only ETH", eth.On(), bsc.On())
	}
	r := eth.Rules[0]
	if r.Token.Symbol != "USDT" || r.Threshold.String() != "12500000" || r.Ceiling.String() != "1000000000" ||
		r.Floor.String() != "100000000" || eth.Cold == nil || eth.MaxGasPrice.String() != "1500000000" || eth.MaxInFlight != 20 {
		t.Fatalf("ETH sweeping %+v, rule %+v", eth, r)
	}

	for _, tc := range []struct{ name, value, want string }{
		{"CHAIN_ETH_SWEEP_THRESHOLDS", "DAI=5", "CHAIN_ETH_SWEEP_THRESHOLDS: DAI is not a token"},
		{"CHAIN_ETH_SWEEP_THRESHOLDS", "USDT=0.0000001", "CHAIN_ETH_SWEEP_THRESHOLDS: USDT"},
		{"CHAIN_ETH_SWEEP_THRESHOLDS", "", "CHAIN_ETH_SWEEP_THRESHOLDS: required"},
		{"CHAIN_ETH_COLLECTION_WALLET", "0x12", "CHAIN_ETH_COLLECTION_WALLET"},
		{"CHAIN_ETH_COLD_WALLET", "", "CHAIN_ETH_COLLECTION_CEILINGS: needs CHAIN_ETH_COLD_WALLET"},
		{"CHAIN_ETH_COLD_WALLET", collection, "CHAIN_ETH_COLD_WALLET: must not be the collection wallet"},
		{"CHAIN_ETH_SWEEP_MAX_IN_FLIGHT", "0", "CHAIN_ETH_SWEEP_MAX_IN_FLIGHT"},
		{"CHAIN_ETH_SWEEP_MAX_GAS_GWEI", "-1", "CHAIN_ETH_SWEEP_MAX_GAS_GWEI"},
		{"CHAIN_ETH_SWEEP_INTERVAL", "1ms", "CHAIN_ETH_SWEEP_INTERVAL"},
	} {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			t.Setenv(tc.name, tc.value)
			_, err := pkgconfig.Load[config.Config]()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}
