package db_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/db"
	"paysuite/pkg/db/dbtest"
)

func TestValidate(t *testing.T) {
	ok := db.Config{DSN: "root:@tcp(127.0.0.1:3306)/", Schema: "paysuite_topup", MaxOpenConns: 20, MaxIdleConns: 10, ConnMaxLifetime: time.Minute}
	tests := []struct {
		name    string
		mutate  func(*db.Config)
		wantErr string
	}{
		{"ok", func(*db.Config) {}, ""},
		{"bad dsn", func(c *db.Config) { c.DSN = "root@127.0.0.1" }, "MYSQL_DSN:"},
		{"dsn with schema", func(c *db.Config) { c.DSN = "root:@tcp(127.0.0.1:3306)/other" }, "MYSQL_DSN: must not name a schema"},
		{"no schema", func(c *db.Config) { c.Schema = "" }, "MYSQL_SCHEMA:"},
		{"schema with quote", func(c *db.Config) { c.Schema = "a`b" }, "MYSQL_SCHEMA:"},
		{"schema with dash", func(c *db.Config) { c.Schema = "a-b" }, "MYSQL_SCHEMA:"},
		{"schema too long", func(c *db.Config) { c.Schema = strings.Repeat("s", 57) }, "MYSQL_SCHEMA:"},
		{"no open conns", func(c *db.Config) { c.MaxOpenConns = 0 }, "MYSQL_MAX_OPEN_CONNS:"},
		{"idle above open", func(c *db.Config) { c.MaxIdleConns = 21 }, "MYSQL_MAX_IDLE_CONNS:"},
		{"negative lifetime", func(c *db.Config) { c.ConnMaxLifetime = -time.Second }, "MYSQL_CONN_MAX_LIFETIME:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.mutate(&c)
			err := c.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want prefix %q", err, tt.wantErr)
			}
		})
	}
}

func TestSplitStatements(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"one", "CREATE TABLE a (id INT);\n", []string{"CREATE TABLE a (id INT)"}},
		{"no final semicolon", "SELECT 1", []string{"SELECT 1"}},
		{"several", "CREATE TABLE a (\n  id INT\n);\nINSERT INTO a VALUES (1);  \r\n\nINSERT INTO a VALUES (2);",
			[]string{"CREATE TABLE a (\n  id INT\n)", "INSERT INTO a VALUES (1)", "INSERT INTO a VALUES (2)"}},
		{"semicolon inside a line", "INSERT INTO a VALUES ('x;y');\n", []string{"INSERT INTO a VALUES ('x;y')"}},
		{"comments", "-- first;\n# second;\nSELECT 1;\n  -- trailing\n", []string{"SELECT 1"}},
		{"empty", "\n\n  \n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := db.SplitStatements(tt.in)
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) {
				t.Fatalf("SplitStatements = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReadMigrations(t *testing.T) {
	tests := []struct {
		name    string
		fs      fstest.MapFS
		want    []string
		wantErr string
	}{
		{"numeric order", fstest.MapFS{
			"10_ten.sql": {Data: []byte("SELECT 10")}, "0002_two.sql": {Data: []byte("SELECT 2")},
			"9_nine.sql": {Data: []byte("SELECT 9")}, "README.md": {Data: []byte("docs")},
			"sub/0001_x.sql": {Data: []byte("SELECT 1")},
		}, []string{"0002_two.sql", "9_nine.sql", "10_ten.sql"}, ""},
		{"empty", fstest.MapFS{}, nil, ""},
		{"no version", fstest.MapFS{"init.sql": {}}, nil, "init.sql"},
		{"no description", fstest.MapFS{"0001.sql": {}}, nil, "0001.sql"},
		{"bad version", fstest.MapFS{"v1_init.sql": {}}, nil, "v1_init.sql"},
		{"same version", fstest.MapFS{"0001_a.sql": {}, "1_b.sql": {}}, nil, "same version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := db.ReadMigrations(tt.fs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, m := range list {
				names = append(names, m.Name)
			}
			if fmt.Sprint(names) != fmt.Sprint(tt.want) {
				t.Fatalf("got %v, want %v", names, tt.want)
			}
		})
	}
}

var baseMigrations = fstest.MapFS{
	"0001_init.sql": {Data: []byte(`-- the first table;
CREATE TABLE items (
  id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  note VARCHAR(64) NOT NULL,
  created_at DATETIME(6) NOT NULL
);
`)},
	"0002_seed.sql": {Data: []byte(`CREATE TABLE seeds (n INT NOT NULL);
INSERT INTO seeds (n) VALUES (1);
INSERT INTO items (id, note, created_at) VALUES (1, 'a;b', UTC_TIMESTAMP(6));
`)},
}

func open(t *testing.T, cfg db.Config, migrations fstest.MapFS) (*gorm.DB, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	gdb, err := db.Open(ctx, cfg, migrations, zerolog.Nop())
	if err == nil {
		t.Cleanup(func() {
			sqlDB, _ := gdb.DB()
			_ = sqlDB.Close()
		})
	}
	return gdb, err
}

func count(t *testing.T, gdb *gorm.DB, query string) int64 {
	t.Helper()
	var n int64
	if err := gdb.WithContext(t.Context()).Raw(query).Scan(&n).Error; err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestOpenMigratesOnce(t *testing.T) {
	cfg := dbtest.Config(t)
	gdb, err := open(t, cfg, baseMigrations)
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, gdb, "SELECT COUNT(*) FROM schema_migrations"); n != 2 {
		t.Fatalf("%d migrations recorded, want 2", n)
	}
	var note string
	if err := gdb.WithContext(t.Context()).Raw("SELECT note FROM items WHERE id = 1").Scan(&note).Error; err != nil || note != "a;b" {
		t.Fatalf("seeded note = %q, %v", note, err)
	}

	// Opening again applies nothing twice; a new file is applied alone.
	more := fstest.MapFS{"0003_more.sql": {Data: []byte("INSERT INTO seeds (n) VALUES (3);")}}
	for k, v := range baseMigrations {
		more[k] = v
	}
	for range 2 {
		again, err := open(t, cfg, more)
		if err != nil {
			t.Fatal(err)
		}
		if n := count(t, again, "SELECT COUNT(*) FROM seeds"); n != 2 {
			t.Fatalf("seeds has %d rows, want 2", n)
		}
		if n := count(t, again, "SELECT COUNT(*) FROM schema_migrations"); n != 3 {
			t.Fatalf("%d migrations recorded, want 3", n)
		}
	}
	var names []string
	if err := gdb.WithContext(t.Context()).Raw("SELECT name FROM schema_migrations ORDER BY version").Scan(&names).Error; err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(names) != "[0001_init.sql 0002_seed.sql 0003_more.sql]" {
		t.Fatalf("recorded %v", names)
	}
}

func TestOpenConcurrent(t *testing.T) {
	cfg := dbtest.Config(t)
	// The sleep keeps the first migrator inside its lock while the others arrive.
	migrations := fstest.MapFS{"0001_slow.sql": {Data: []byte(
		"CREATE TABLE runs (n INT NOT NULL);\nDO SLEEP(0.5);\nINSERT INTO runs (n) VALUES (1);\n")}}
	const replicas = 3
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	dbs := make([]*gorm.DB, replicas)
	for i := range replicas {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			dbs[i], errs[i] = db.Open(ctx, cfg, migrations, zerolog.Nop())
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
		sqlDB, _ := dbs[i].DB()
		t.Cleanup(func() { _ = sqlDB.Close() })
	}
	if n := count(t, dbs[0], "SELECT COUNT(*) FROM runs"); n != 1 {
		t.Fatalf("migration ran %d times", n)
	}
	if n := count(t, dbs[1], "SELECT COUNT(*) FROM schema_migrations"); n != 1 {
		t.Fatalf("%d migrations recorded", n)
	}
}

func TestOpenBadMigration(t *testing.T) {
	cfg := dbtest.Config(t)
	bad := fstest.MapFS{
		"0001_ok.sql":  {Data: []byte("CREATE TABLE ok1 (n INT);")},
		"0002_bad.sql": {Data: []byte("CREATE TABLE ok2 (n INT);\nCREATE TABLE oops (;\n")},
		"0003_not.sql": {Data: []byte("CREATE TABLE never (n INT);")},
	}
	_, err := open(t, cfg, bad)
	if err == nil {
		t.Fatal("Open succeeded with a bad migration")
	}
	if !strings.Contains(err.Error(), "0002_bad.sql") || !strings.Contains(err.Error(), "statement 2") {
		t.Fatalf("error does not name the file and statement: %v", err)
	}

	// The good migration stays recorded; the bad one and those after it do not.
	gdb, err := open(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, gdb, "SELECT COUNT(*) FROM schema_migrations"); n != 1 {
		t.Fatalf("%d migrations recorded, want 1", n)
	}
	if n := count(t, gdb, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'never'"); n != 0 {
		t.Fatal("migration after the failing one was applied")
	}
}

func TestOpenSessionIsUTC(t *testing.T) {
	gdb := dbtest.Open(t, baseMigrations)
	var tz string
	if err := gdb.WithContext(t.Context()).Raw("SELECT @@session.time_zone").Scan(&tz).Error; err != nil || tz != "+00:00" {
		t.Fatalf("session time zone = %q, %v", tz, err)
	}
	var created time.Time
	if err := gdb.WithContext(t.Context()).Raw("SELECT created_at FROM items WHERE id = 1").Scan(&created).Error; err != nil {
		t.Fatal(err)
	}
	if created.Location() != time.UTC {
		t.Fatalf("time read in %v, want UTC", created.Location())
	}
	if d := time.Since(created); d < -time.Minute || d > time.Minute {
		t.Fatalf("UTC_TIMESTAMP stored as %v, %v from now", created, d)
	}
}

func TestIsDuplicateKey(t *testing.T) {
	gdb := dbtest.Open(t, baseMigrations)
	err := gdb.WithContext(t.Context()).Exec("INSERT INTO items (id, note, created_at) VALUES (1, 'dup', UTC_TIMESTAMP())").Error
	other := gdb.WithContext(t.Context()).Exec("INSERT INTO missing_table VALUES (1)").Error
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"duplicate", err, true},
		{"wrapped duplicate", fmt.Errorf("store item: %w", err), true},
		{"gorm translated", fmt.Errorf("x: %w", gorm.ErrDuplicatedKey), true},
		{"other server error", other, false},
		{"plain error", errors.New("1062"), false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		if got := db.IsDuplicateKey(tt.err); got != tt.want {
			t.Errorf("%s: IsDuplicateKey(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

// TestIsConflict provokes a real deadlock: two transactions lock two rows in
// opposite orders.
func TestIsConflict(t *testing.T) {
	gdb := dbtest.Open(t, baseMigrations)
	ctx := t.Context()
	if err := gdb.WithContext(ctx).Exec("INSERT INTO items (id, note, created_at) VALUES (10, 'a', UTC_TIMESTAMP()), (11, 'b', UTC_TIMESTAMP())").Error; err != nil {
		t.Fatal(err)
	}
	locked := make(chan struct{}, 2)
	errs := make(chan error, 2)
	for _, order := range [][2]int{{10, 11}, {11, 10}} {
		go func() {
			errs <- gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
				if err := tx.Exec("SELECT id FROM items WHERE id = ? FOR UPDATE", order[0]).Error; err != nil {
					return err
				}
				locked <- struct{}{}
				for len(locked) < 2 && ctx.Err() == nil {
					time.Sleep(5 * time.Millisecond)
				}
				return tx.Exec("SELECT id FROM items WHERE id = ? FOR UPDATE", order[1]).Error
			})
		}()
	}
	var conflicts int
	for range 2 {
		err := <-errs
		if db.IsConflict(fmt.Errorf("wrapped: %w", err)) {
			conflicts++
		} else if err != nil {
			t.Errorf("unexpected error: %v", err)
		}
	}
	if conflicts != 1 {
		t.Fatalf("%d transactions reported a conflict, want 1", conflicts)
	}
	if db.IsConflict(errors.New("1213")) || db.IsConflict(nil) {
		t.Fatal("IsConflict true for a plain error or nil")
	}
}

func TestPing(t *testing.T) {
	gdb := dbtest.Open(t, nil)
	if err := db.Ping(t.Context(), gdb); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	sqlDB, _ := gdb.DB()
	_ = sqlDB.Close()
	if err := db.Ping(t.Context(), gdb); err == nil {
		t.Fatal("Ping succeeded on a closed pool")
	}
}

func TestOpenBadCredentialsFailsFast(t *testing.T) {
	mc, err := mysql.ParseDSN(dbtest.DSN())
	if err != nil {
		t.Fatal(err)
	}
	mc.User = "no_such_user_" + strings.ReplaceAll(t.Name(), "/", "_")
	mc.Passwd = "wrong"
	cfg := dbtest.Config(t)
	cfg.DSN = mc.FormatDSN()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	start := time.Now()
	if _, err := db.Open(ctx, cfg, nil, zerolog.Nop()); err == nil {
		t.Fatal("Open succeeded with bad credentials")
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("Open kept retrying an authentication failure for %v", took)
	}
}

func TestOpenGivesUpAtDeadline(t *testing.T) {
	cfg := dbtest.Config(t)
	cfg.DSN = "root:@tcp(" + unusedAddr(t) + ")/"
	ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
	defer cancel()
	_, err := db.Open(ctx, cfg, nil, zerolog.Nop())
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
}

// TestOpenWaitsForServer starts Open against an address where nothing listens yet,
// and only opens a proxy to the real server once Open has reported a failed attempt.
func TestOpenWaitsForServer(t *testing.T) {
	server, err := mysql.ParseDSN(dbtest.DSN())
	if err != nil {
		t.Fatal(err)
	}
	addr := unusedAddr(t)
	mc := server.Clone()
	mc.Addr = addr
	cfg := dbtest.Config(t)
	cfg.DSN = mc.FormatDSN()

	retrying := make(chan struct{})
	var once sync.Once
	log := zerolog.New(writerFunc(func(p []byte) (int, error) {
		if strings.Contains(string(p), "retrying") {
			once.Do(func() { close(retrying) })
		}
		return len(p), nil
	}))
	go func() {
		select {
		case <-retrying:
			startProxy(t, addr, server.Addr)
		case <-t.Context().Done():
		}
	}()

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	gdb, err := db.Open(ctx, cfg, baseMigrations, log)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	sqlDB, _ := gdb.DB()
	defer sqlDB.Close()
	select {
	case <-retrying:
	default:
		t.Fatal("Open connected without retrying")
	}
	if n := count(t, gdb, "SELECT COUNT(*) FROM schema_migrations"); n != 2 {
		t.Fatalf("%d migrations recorded", n)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// unusedAddr returns a local address where nothing listens.
func unusedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// startProxy forwards connections on addr to target until the test ends.
func startProxy(t *testing.T, addr, target string) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Errorf("proxy listen: %v", err)
		return
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				_ = in.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, in, out)
			mu.Unlock()
			go func() { _, _ = io.Copy(out, in); _ = out.Close() }()
			go func() { _, _ = io.Copy(in, out); _ = in.Close() }()
		}
	}()
}
