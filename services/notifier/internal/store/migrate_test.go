package store_test

import (
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/db"
	"paysuite/pkg/db/dbtest"
	"paysuite/services/notifier/internal/store"
)

// TestUpgradeFromCopies migrates a schema of the notifier that matched
// copies of requests and returns, with deliveries pending: they are kept,
// the tables of the copies are gone, and deliveries are then keyed by flow,
// message_id and URL.
func TestUpgradeFromCopies(t *testing.T) {
	cfg := dbtest.Config(t)
	before := fstest.MapFS{}
	for _, name := range []string{"0001_init.sql", "0002_claim_by_host.sql"} {
		data, err := fs.ReadFile(store.Migrations(), name)
		if err != nil {
			t.Fatal(err)
		}
		before[name] = &fstest.MapFile{Data: data}
	}
	open := func(migrations fs.FS) *gorm.DB {
		gdb, err := db.Open(t.Context(), cfg, migrations, zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if sqlDB, err := gdb.DB(); err == nil {
				_ = sqlDB.Close()
			}
		})
		return gdb
	}
	old := open(before)
	for _, stmt := range []string{
		`INSERT INTO requests (flow, request_id, callback_url) VALUES ('order', 'o-1', 'https://shop.example/a')`,
		`INSERT INTO orphan_returns (webhook_id, flow, request_id, event, status, body)
			VALUES ('msg_2', 'order', 'o-2', 'created', 1, '{}')`,
		`INSERT INTO deliveries (webhook_id, flow, request_id, event, status, url, url_hash, host, body, state)
			VALUES ('msg_1', 'order', 'o-1', 'created', 1, 'https://shop.example/a', 'h', 'shop.example', '{}', 'pending')`,
	} {
		if err := old.Exec(stmt).Error; err != nil {
			t.Fatal(err)
		}
	}

	gdb := open(store.Migrations())
	var tables []string
	if err := gdb.Raw(`SELECT table_name FROM information_schema.tables WHERE table_schema = ?
		AND table_name IN ('requests', 'orphan_returns')`, cfg.Schema).Scan(&tables).Error; err != nil {
		t.Fatal(err)
	}
	if len(tables) != 0 {
		t.Errorf("tables of the copies left: %v", tables)
	}
	st := store.New(gdb)
	hook := store.Webhook{Flow: "order", RequestID: "o-1", MessageID: "o-1:paid:ETH:0xab:1:2:7", Event: "paid", Status: 2,
		URL: "https://shop.example/a", Body: []byte(`{}`)}
	for want := 1; want >= 0; want-- {
		if n, err := st.AddDeliveries(t.Context(), []store.Webhook{hook}); err != nil || n != want {
			t.Fatalf("created %d deliveries (%v), want %d", n, err, want)
		}
	}
	list, err := st.List(t.Context(), store.Filter{RequestID: "o-1"})
	if err != nil || len(list) != 2 || list[1].WebhookID != "msg_1" || list[0].WebhookID != hook.MessageID {
		t.Fatalf("deliveries of o-1: %+v (%v)", list, err)
	}
}
