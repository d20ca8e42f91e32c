package deposits_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
	"paysuite/pkg/sign"
	"paysuite/pkg/witness"
	"paysuite/pkg/witness/witnesstest"
	"paysuite/services/topup/internal/deposits"
	"paysuite/services/topup/internal/store"
)

// depth is the confirmation depth of the tests.
const depth = 3

var internal = servicetest.MustKeys("topup-internal-secret")

// fixture is a registered address that received n real transfers of 1.5
// USDT in one transaction, deep enough to be confirmed.
type fixture struct {
	h     *deposits.Handler
	db    *gorm.DB
	chain *witnesstest.Chain
	evs   []events.Transfer
}

func setup(t *testing.T, n int) *fixture {
	t.Helper()
	gdb := dbtest.Open(t, store.Migrations())
	chain := witnesstest.Start(t)
	to := witnesstest.Address(t.Name())
	addr := strings.ToLower(to.Hex())
	reg := &store.Registration{RequestID: "r-1", Chain: "ETH", Chains: []string{"ETH"}, Symbol: "USDT", Address: &addr, ReturnBody: []byte("{}")}
	if err := store.InsertRegistrations(gdb, []*store.Registration{reg}); err != nil {
		t.Fatal(err)
	}
	if err := store.CoverChains(gdb, []*store.Registration{reg}); err != nil {
		t.Fatal(err)
	}
	recipients, amounts := make([]common.Address, n), make([]int64, n)
	for i := range n {
		recipients[i], amounts[i] = to, 1_500_000
	}
	evs := chain.Pay(recipients, amounts)
	for i, ev := range evs {
		if ev.LogIndex != uint(i) {
			t.Fatalf("transfer %d at log index %d: the payment is not alone in its block", i, ev.LogIndex)
		}
	}
	chain.Mine(depth - 1)
	return &fixture{chain: chain, db: gdb, evs: evs, h: &deposits.Handler{
		Store: store.New(gdb), Names: contract.DefaultNames(), Sealer: sign.Sealer{Secret: []byte("s")},
		Witnesses: map[string]*witness.Witness{"ETH": chain.Witness(depth)}, Internal: internal, Log: zerolog.Nop(), OnCommit: func() {},
	}}
}

// event is the listener's event of kind for transfer n.
func (f *fixture) event(t *testing.T, n int, kind string, seq uint64) broker.Delivery {
	t.Helper()
	ev := f.evs[n]
	ev.Kind, ev.Sequence = kind, seq
	return servicetest.Delivery(t, "", ev)
}

// reported lists the deposit returns in the outbox as "log index:status".
func reported(t *testing.T, gdb *gorm.DB) []string {
	t.Helper()
	var bodies [][]byte
	if err := gdb.Raw("SELECT body FROM outbox WHERE routing_key = ? ORDER BY id", contract.DefaultNames().TopupReturnKey).Scan(&bodies).Error; err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, b := range bodies {
		var m struct {
			LogIndex uint `json:"log_index"`
			Status   int  `json:"status"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d:%d", m.LogIndex, m.Status))
	}
	return out
}

func statuses(t *testing.T, gdb *gorm.DB) map[string]int {
	t.Helper()
	var rows []store.Deposit
	if err := gdb.Order("deposit_id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.DepositID] = r.Status
	}
	return out
}

func TestBatchReportsEachStageOnce(t *testing.T) {
	f := setup(t, 3)
	h, gdb := f.h, f.db
	batch := []broker.Delivery{
		f.event(t, 0, events.KindSeen, 1),
		f.event(t, 1, events.KindSeen, 1),
		f.event(t, 0, events.KindConfirmed, 2), // the same deposit again, later in the batch
		f.event(t, 2, events.KindConfirmed, 2), // confirmed before it was seen
		f.event(t, 1, events.KindSeen, 1),      // repeated inside the batch
		// a transfer to an address topup does not know is left out
		{Body: []byte(`{"kind":"seen","chain":"ETH","to":"0x00000000000000000000000000000000000000b2","amount":"1","tx_hash":"0x01","sequence":1}`)},
	}
	if err := h.HandleBatch(t.Context(), batch); err != nil {
		t.Fatal(err)
	}
	want := []string{"0:2", "1:2", "0:1", "2:2", "2:1"}
	if got := reported(t, gdb); !slices.Equal(got, want) {
		t.Fatalf("reported %v, want %v", got, want)
	}
	if got := statuses(t, gdb); len(got) != 3 {
		t.Fatalf("deposits %v", got)
	}

	// The whole batch again (a redelivery), then the next stages one by one.
	if err := h.HandleBatch(t.Context(), batch); err != nil {
		t.Fatal(err)
	}
	for _, d := range []broker.Delivery{f.event(t, 1, events.KindRemoved, 2), f.event(t, 0, events.KindRemoved, 3)} {
		if err := h.Handle(t.Context(), d); err != nil {
			t.Fatal(err)
		}
	}
	want = append(want, "1:0") // a confirmed deposit stays confirmed
	if got := reported(t, gdb); !slices.Equal(got, want) {
		t.Fatalf("after the redelivery and the reorg: reported %v, want %v", got, want)
	}
	id := func(n uint) string { return contract.DepositID("ETH", f.evs[0].TxHash, n) }
	wantStatus := map[string]int{id(0): 1, id(1): 0, id(2): 1}
	if got := statuses(t, gdb); !maps.Equal(got, wantStatus) {
		t.Fatalf("deposits %v, want %v", got, wantStatus)
	}
}

func TestBatchWithGarbageFails(t *testing.T) {
	f := setup(t, 1)
	h, gdb := f.h, f.db
	err := h.HandleBatch(t.Context(), []broker.Delivery{f.event(t, 0, events.KindSeen, 1), {Body: []byte("not json")}})
	if _, poison := broker.IsPoison(err); !poison {
		t.Fatalf("error %v, want a poison error so that the broker handles each alone", err)
	}
	if got := reported(t, gdb); len(got) != 0 {
		t.Fatalf("a failed batch reported %v", got)
	}
}

// Workers recording overlapping batches at once (a redelivery racing the
// first delivery) still report each stage once: the loser of a first insert
// runs again and finds the row.
func TestConcurrentBatchesReportOnce(t *testing.T) {
	f := setup(t, 20)
	h, gdb := f.h, f.db
	var batches [][]broker.Delivery
	for w := range 4 {
		var b []broker.Delivery
		for n := range 20 {
			b = append(b, f.event(t, (n+w*5)%20, events.KindSeen, 1))
		}
		batches = append(batches, b)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(batches))
	for _, b := range batches {
		wg.Go(func() {
			// A batch that keeps losing is handled one by one, as the broker would.
			if err := h.HandleBatch(t.Context(), b); err != nil {
				for _, d := range b {
					if err := h.Handle(t.Context(), d); err != nil {
						errs <- err
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got := reported(t, gdb)
	if len(got) != 20 {
		t.Fatalf("%d returns for 20 deposits: %v", len(got), got)
	}
	slices.Sort(got)
	if len(slices.Compact(got)) != 20 {
		t.Fatalf("a deposit reported twice: %v", got)
	}
}

// A transfer is matched to a registration by chain and address, and its
// amount read in the decimals configured for its token there: an event on a
// chain the address is not registered on is left out, and one claiming
// other decimals than the configured ones is dead-lettered unreported.
func TestEventsMatchTheirChain(t *testing.T) {
	f := setup(t, 1)
	elsewhere := f.evs[0]
	elsewhere.Chain = "BSC"
	if err := f.h.Handle(t.Context(), servicetest.Delivery(t, "", elsewhere)); err != nil {
		t.Fatalf("a transfer to the address on another chain: %v", err)
	}
	misread := f.evs[0]
	misread.Decimals = 18
	if _, poison := broker.IsPoison(f.h.Handle(t.Context(), servicetest.Delivery(t, "", misread))); !poison {
		t.Fatal("an event with other decimals than the token's was not dead-lettered")
	}
	if got := reported(t, f.db); len(got) != 0 {
		t.Fatalf("reported %v", got)
	}
}
