package store

import (
	"testing"

	"paysuite/pkg/txsender/txsendertest"
)

// The sender's tables must end exactly as the sender creates them: 0002 and
// 0005 are the sender's released migrations, and this schema's own 0003 makes
// the keys binary.
func TestSenderTablesMatchTheSender(t *testing.T) {
	txsendertest.CheckMigrations(t, "pay", Migrations())
}
