package app

import (
	"io/fs"
	"testing"

	"paysuite/pkg/txsender"
	"paysuite/services/pay/internal/store"
)

// The sender's chain-state tables are created as the sender expects them.
func TestChainTablesMigration(t *testing.T) {
	got, err := fs.ReadFile(store.Migrations(), "0005_txsender_chain.sql")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != txsender.ChainSchema() {
		t.Fatal("migrations/0005_txsender_chain.sql differs from pkg/txsender/chainstate.sql; copy it again")
	}
}
