package store

import (
	"testing"

	"paysuite/pkg/txsender/txsendertest"
)

// The sender's tables must end exactly as the sender creates them: 0002 is
// the copy of pkg/txsender/schema.sql as it was released, later changes
// (0003, binary keys) and the chain-state tables (0005) come as migrations
// of their own.
func TestSenderTablesMatchTheSender(t *testing.T) {
	txsendertest.CheckMigrations(t, "withdraw", Migrations())
}
