package depositaddr

import (
	"embed"
	"io/fs"

	"paysuite/pkg/db"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations create the deposit_addresses table under the versions withdraw
// released it with (0004, and 0007 that keys it by chain and address); a
// service that keeps the table lists them next to its own (see db.Migrations).
func Migrations() fs.FS { return db.Migrations(migrations, "migrations") }
