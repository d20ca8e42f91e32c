package db

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/rs/zerolog"
	"gorm.io/gorm"
)

// TryLock takes the server lock name if no other session holds it, on a
// connection of its own: ok is false when another holds it. release frees it
// (and the connection); a process that dies frees it with its session.
func TryLock(ctx context.Context, gdb *gorm.DB, name string, log zerolog.Logger) (release func(), ok bool, err error) {
	sqlDB, err := gdb.DB()
	if err != nil {
		return nil, false, err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("lock %s: get connection: %w", name, err)
	}
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 0)", name).Scan(&got); err != nil {
		_ = conn.Close()
		return nil, false, fmt.Errorf("lock %s: %w", name, err)
	}
	if !got.Valid || got.Int64 != 1 {
		_ = conn.Close()
		return nil, false, nil
	}
	return func() {
		releaseLock(ctx, conn, name, log)
		_ = conn.Close()
	}, true, nil
}
