package expiry_test

import (
	"context"
	"fmt"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/contract"
	"paysuite/pkg/db"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/sign"
	"paysuite/services/matcher/internal/expiry"
	"paysuite/services/matcher/internal/store"
)

// TestReplicasExpireEachOrderOnce runs the expiry loop of two replicas (two
// connection pools) on one schema while orders come due: every order is
// reported expired exactly once, and only once its expiry has passed on the
// database clock.
func TestReplicasExpireEachOrderOnce(t *testing.T) {
	cfg := dbtest.Config(t)
	var replicas []*expiry.Expirer
	var gdb *gorm.DB
	for range 2 {
		conn, err := db.Open(t.Context(), cfg, store.Migrations(), zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if sqlDB, err := conn.DB(); err == nil {
				_ = sqlDB.Close()
			}
		})
		gdb = conn
		replicas = append(replicas, &expiry.Expirer{Store: store.New(conn), Names: contract.DefaultNames(),
			Sealer: sign.Sealer{Secret: []byte("s")}, Log: zerolog.Nop(), Interval: 20 * time.Millisecond, Batch: 7})
	}
	const n = 60
	for i := range n {
		err := gdb.Transaction(func(tx *gorm.DB) error {
			_, _, err := store.InsertOrder(tx, store.NewOrder{RequestID: fmt.Sprintf("e-%d", i), OrderID: fmt.Sprintf("e-%d", i),
				Chain: "ETH", Symbol: "USDT", Decimals: 6, Amount: big.NewInt(1), PayAddress: "0x" + fmt.Sprintf("%040d", i),
				PayAmount: big.NewInt(1), Mode: store.ModeAddress, ExpiresIn: 3600})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// One that is not due must stay open.
	if err := gdb.Exec("UPDATE orders SET expires_at = NOW(6) - INTERVAL 1 SECOND WHERE request_id <> 'e-0'").Error; err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for _, r := range replicas {
		wg.Go(func() { _ = r.Run(ctx) })
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var open int64
		if err := gdb.Raw("SELECT COUNT(*) FROM orders WHERE state = 'open'").Scan(&open).Error; err != nil {
			t.Fatal(err)
		}
		if open == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d orders still open", open)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	wg.Wait()

	var ids []string
	if err := gdb.Raw("SELECT message_id FROM outbox").Scan(&ids).Error; err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("%s reported twice", id)
		}
		seen[id] = true
	}
	if len(ids) != n-1 || seen["e-0:expired"] {
		t.Fatalf("%d expired returns, want %d (and none for e-0)", len(ids), n-1)
	}
}
