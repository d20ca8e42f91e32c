package scanner_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/db"
	"paysuite/pkg/db/dbtest"
)

// The database ceiling lives here because this module already depends on gorm
// and the test schema helper; the end-to-end module talks to MariaDB only
// through the services.

// ceilingSchema is a table shaped like the services' request rows: an
// auto-increment key, a unique business key and a small body.
func ceilingSchema() fstest.MapFS {
	return fstest.MapFS{"0001_ceiling.sql": &fstest.MapFile{Data: []byte(`
CREATE TABLE ceiling_rows (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  request_id VARCHAR(64) NOT NULL,
  body VARBINARY(512) NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY uq_ceiling_request (request_id)
) ENGINE=InnoDB;
`)}}
}

// insertCeiling inserts n rows, one per transaction (BEGIN, INSERT, COMMIT
// through gorm, as a service records a request), from conns goroutines with a
// pool of conns connections, and returns the time it took.
func insertCeiling(tb testing.TB, n, conns int) time.Duration {
	tb.Helper()
	cfg := dbtest.Config(tb)
	cfg.MaxOpenConns, cfg.MaxIdleConns = conns, conns
	ctx, cancel := context.WithTimeout(tb.Context(), 30*time.Second)
	defer cancel()
	gdb, err := db.Open(ctx, cfg, ceilingSchema(), zerolog.Nop())
	if err != nil {
		tb.Fatalf("open ceiling schema: %v", err)
	}
	tb.Cleanup(func() {
		if sqlDB, err := gdb.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	// Open every connection before timing.
	var warm sync.WaitGroup
	for range conns {
		warm.Go(func() { _ = gdb.WithContext(tb.Context()).Exec("SELECT 1").Error })
	}
	warm.Wait()

	body := make([]byte, 300) // the size of a signed return
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range conns {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				err := gdb.WithContext(tb.Context()).Transaction(func(tx *gorm.DB) error {
					return tx.Exec("INSERT INTO ceiling_rows (request_id, body) VALUES (?, ?)",
						fmt.Sprintf("ceiling-%d", i), body).Error
				})
				if err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	if err, _ := failed.Load().(error); err != nil {
		tb.Fatalf("insert: %v", err)
	}
	var count int64
	if err := gdb.WithContext(tb.Context()).Raw("SELECT COUNT(*) FROM ceiling_rows").Scan(&count).Error; err != nil || count != int64(n) {
		tb.Fatalf("%d rows after %d inserts (%v)", count, n, err)
	}
	return took
}

// BenchmarkCeilingDatabase measures what the suite's services stand on in
// MariaDB: single-row transactional inserts per second through gorm, with one
// connection and with eight (the default number of topup workers), on a
// throw-away schema of the real server. Run with -benchtime 1x.
func BenchmarkCeilingDatabase(b *testing.B) {
	n := 10_000
	if testing.Short() {
		n = 40
	}
	for _, conns := range []int{1, 8} {
		b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) {
			var sum time.Duration
			for range b.N {
				sum += insertCeiling(b, n, conns)
			}
			b.ReportMetric(float64(sum.Nanoseconds())/float64(b.N), "ns/op")
			b.ReportMetric(float64(n*b.N)/sum.Seconds(), "inserts/s")
		})
	}
}

// TestCeilingDatabaseShort runs the database ceiling's code with a few rows on
// every test run, so that it keeps working.
func TestCeilingDatabaseShort(t *testing.T) {
	took := insertCeiling(t, 40, 4)
	t.Logf("40 transactional inserts on 4 connections: %s", took)
}
