package payoutapptest

import (
	"context"
	"crypto/rand"
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"paysuite/pkg/broker/brokertest"
	pkgconfig "paysuite/pkg/config"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/devchain/devchaintest"
	"paysuite/pkg/ethnode/ethnodetest"
	"paysuite/pkg/keystore"
)

// DevModeRefusedOnAnotherChain checks that svc, in the development mode,
// refuses to start on a node of chain 1, saying why, before anything else:
// the node is asked its chain id only and the development accounts fund
// nothing.
func DevModeRefusedOnAnotherChain[C any](t *testing.T, svc Service[C]) {
	chain := devchaintest.Start(t)
	node := ethnodetest.Serve(t, chain.HTTPURL(), 1)
	dbCfg := dbtest.Config(t)
	for k, v := range map[string]string{
		"DEV_MODE": "true", "ETH_RPC_URL": node.URL, "MYSQL_DSN": dbCfg.DSN, "MYSQL_SCHEMA": dbCfg.Schema,
		// A virtual host that does not exist: the service must not get there.
		"AMQP_URL": brokertest.URL + svc.Name + "-test-absent-" + rand.Text(), "HTTP_ADDR": "127.0.0.1:0",
	} {
		t.Setenv(k, v)
	}
	cfg, err := pkgconfig.Load[C]()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), brokertest.Wait)
	defer cancel()
	err = svc.Run(ctx, cfg, zerolog.Nop())
	if err == nil || !strings.Contains(err.Error(), "DEV_MODE: refused: the node's chain id is 1,") {
		t.Fatalf("Run = %v, want DEV_MODE refused on chain id 1", err)
	}
	if got := node.Calls(); !slices.Equal(got, []string{"eth_chainId"}) {
		t.Fatalf("the node was asked %v, want its chain id only", got)
	}
	key, err := svc.HotKey(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	if bal, err := chain.Eth.BalanceAt(t.Context(), keystore.Address(key), nil); err != nil || bal.Sign() != 0 {
		t.Fatalf("the hot wallet holds %v wei (%v): it was funded", bal, err)
	}
}
