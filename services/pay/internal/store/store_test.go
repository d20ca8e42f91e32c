package store

import (
	"io/fs"
	"testing"

	"paysuite/pkg/txsender"
)

// The sender's tables must be created exactly as the sender expects them.
func TestSenderTablesMatchTheSender(t *testing.T) {
	got, err := fs.ReadFile(Migrations(), "0002_txsender.sql")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != txsender.Schema() {
		t.Fatal("migrations/0002_txsender.sql differs from pkg/txsender/schema.sql; copy it again")
	}
}
