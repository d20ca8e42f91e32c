package store_test

import (
	"io/fs"
	"math/big"
	"testing"
	"testing/fstest"

	"gorm.io/gorm"

	"paysuite/pkg/db/dbtest"
	"paysuite/services/matcher/internal/store"
)

// TestUpgradeToChains migrates a schema of one chain's orders: an open
// amount-mode order keeps its payable amount on its chain only (the same
// amount is then free on another chain, not on its own), a closed one is
// still found for a late payment, and payments are counted in their
// order's chain and decimals.
func TestUpgradeToChains(t *testing.T) {
	cfg := dbtest.Config(t)
	first, err := fs.ReadFile(store.Migrations(), "0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	const shared = "0x00000000000000000000000000000000000000aa"
	old := dbtest.OpenConfig(t, cfg, fstest.MapFS{"0001_init.sql": {Data: first}})
	for _, stmt := range []string{
		`INSERT INTO orders (id, request_id, order_id, chain, symbol, decimals, amount, pay_address, pay_amount, mode,
			expires_at, state, open_slot, created_body) VALUES
			(1, 'r-1', 'o-1', 'ETH', 'USDT', 6, 2000000, '` + shared + `', 2000000, 'amount', NOW(), 'open', 1, ''),
			(2, 'r-2', 'o-2', 'ETH', 'USDT', 6, 3000000, '` + shared + `', 3000000, 'amount', NOW(), 'paid', NULL, '')`,
		`INSERT INTO payments (transfer_id, order_pk, tx_hash, log_index, from_address, amount, block_number, state, seq, late)
			VALUES ('ETH:0x01:0', 2, '0x01', 0, '0x02', 3000000, 7, 'confirmed', 2, 0)`,
	} {
		if err := old.Exec(stmt).Error; err != nil {
			t.Fatal(err)
		}
	}

	gdb := dbtest.OpenConfig(t, cfg, store.Migrations())
	err = gdb.Transaction(func(tx *gorm.DB) error {
		for _, c := range []struct {
			chain, amount, want string
		}{{"ETH", "2000000", "r-1"}, {"ETH", "3000000", "r-2"}, {"BSC", "2000000", ""}} {
			o, err := store.LockAmountOrder(tx, c.chain, shared, "USDT", c.amount)
			if err != nil {
				return err
			}
			got := ""
			if o != nil {
				got = o.RequestID
			}
			if got != c.want {
				t.Errorf("order paid %s on %s: %+v, want %q", c.amount, c.chain, o, c.want)
			}
		}
		payments, err := store.OrderPayments(tx, 2)
		if err != nil {
			return err
		}
		if len(payments) != 1 || payments[0].Chain != "ETH" || payments[0].Decimals != 6 {
			t.Errorf("payments %+v, want one on ETH in 6 decimals", payments)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	two := big.NewInt(2000000)
	insert := func(requestID, chain string, decimals int32) error {
		return gdb.Transaction(func(tx *gorm.DB) error {
			_, _, err := store.InsertOrder(tx, store.NewOrder{RequestID: requestID, OrderID: requestID, Chain: chain,
				Symbol: "USDT", Decimals: 6, Offers: []store.Offer{{Chain: chain, Decimals: decimals}}, Amount: two,
				PayAddress: shared, PayAmount: two, Mode: store.ModeAmount, ExpiresIn: 60})
			return err
		})
	}
	if err := insert("r-3", "BSC", 18); err != nil {
		t.Fatalf("the same amount on BSC: %v", err)
	}
	if err := insert("r-4", "ETH", 6); store.Conflict(err) != store.ConflictSlot {
		t.Fatalf("the same amount on ETH again: %v, want a slot conflict", err)
	}
}
