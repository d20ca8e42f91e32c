package outbox

import (
	"embed"
	"io/fs"

	"paysuite/pkg/db"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are the outbox table's migrations, for the stores of the
// services that relay through it (db.Migrations' shared folders).
func Migrations() fs.FS { return db.Migrations(migrations, "migrations") }
