package requests_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/config/onchain"
	"paysuite/pkg/contract"
	"paysuite/pkg/db"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/events"
	"paysuite/pkg/request"
	"paysuite/pkg/service/servicetest"
	"paysuite/pkg/sign"
	"paysuite/pkg/tokens"
	"paysuite/proto"
	"paysuite/services/matcher/internal/config"
	"paysuite/services/matcher/internal/requests"
	"paysuite/services/matcher/internal/store"
)

const secret = "test-secret"

// openSchema opens n independent connection pools on one fresh schema, as n
// replicas would.
func openSchema(t *testing.T, n int) []*gorm.DB {
	t.Helper()
	cfg := dbtest.Config(t)
	cfg.MaxOpenConns = 10
	var out []*gorm.DB
	for range n {
		gdb, err := db.Open(t.Context(), cfg, store.Migrations(), zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if sqlDB, err := gdb.DB(); err == nil {
				_ = sqlDB.Close()
			}
		})
		out = append(out, gdb)
	}
	return out
}

func newHandler(t *testing.T, gdb *gorm.DB) *requests.Handler {
	t.Helper()
	keys := servicetest.DevXPub(t, config.DevOrderPath)
	shared, err := keys.Address(0)
	if err != nil {
		t.Fatal(err)
	}
	h := &requests.Handler{
		Store: store.New(gdb), Names: contract.DefaultNames(), Chains: devChains(t), Keys: keys,
		SharedAddress: lower(shared.Hex()), OffsetDecimals: 2, MaxOffsetSteps: 100000,
		Internal: internal, Sealer: sign.Sealer{Secret: []byte(secret)}, Log: zerolog.Nop(), OnCommit: func() {},
	}
	// The gate's own answers are tested through the broker (internal/app).
	h.Gate = &request.Gate{Secrets: [][]byte{[]byte(secret)}, MaxSkew: 300 * time.Second, Sealer: h.Sealer,
		Replay: h.Replay, Publisher: failingPublisher{t}, Log: zerolog.Nop()}
	return h
}

// devChains are ETH and BSC with their development USDT (6 and 18 decimals).
func devChains(t *testing.T) []onchain.Chain {
	t.Helper()
	bsc, err := tokens.Parse(tokens.DevBSCUSDT)
	if err != nil {
		t.Fatal(err)
	}
	return []onchain.Chain{{Name: "ETH", Tokens: servicetest.DevTokens(t)}, {Name: "BSC", Tokens: bsc}}
}

// failingPublisher fails the test: the requests here are all admitted.
type failingPublisher struct{ t *testing.T }

func (p failingPublisher) Publish(_ context.Context, _, _ string, m broker.Message) error {
	p.t.Errorf("the gate rejected a request: %s", m.Body)
	return nil
}

var internal = servicetest.MustKeys("matcher-internal-secret")

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func signed(t *testing.T, fields map[string]any) broker.Delivery {
	t.Helper()
	if _, ok := fields["timestamp"]; !ok {
		fields["timestamp"] = time.Now().Unix()
	}
	body, err := sign.Seal([]byte(secret), fields, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return broker.Delivery{Body: body}
}

type outboxRow struct {
	ID         uint64 `gorm:"column:id"`
	RoutingKey string `gorm:"column:routing_key"`
	MessageID  string `gorm:"column:message_id"`
	Body       []byte `gorm:"column:body"`
}

func outboxRows(t *testing.T, gdb *gorm.DB, key string) []outboxRow {
	t.Helper()
	var rows []outboxRow
	if err := gdb.Raw("SELECT id, routing_key, message_id, body FROM outbox WHERE routing_key = ? ORDER BY id", key).
		Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

func decode(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func validator(t *testing.T) *proto.Validator {
	t.Helper()
	v, err := proto.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestAmountModeUniqueAcrossReplicas opens 200 orders of one amount at once
// through two handlers on separate connection pools: the database alone keeps
// the payable amounts unique, and they are the 200 smallest offsets.
func TestAmountModeUniqueAcrossReplicas(t *testing.T) {
	const n = 200
	rows, _ := handleOnReplicas(t, n, amountOrder(func(int) string { return "ETH" }))
	if len(rows) != n {
		t.Fatalf("%d created returns, want %d", len(rows), n)
	}
	seen := uniquePerChain(t, rows)["ETH"]
	for k := range n {
		want := fmt.Sprintf("%d.%02d", 10+k/100, k%100)
		want = trimZeros(want)
		if _, ok := seen[want]; !ok {
			t.Fatalf("offset %d (pay_amount %s) not used: offsets are not the smallest", k, want)
		}
	}
}

// TestAmountModeUniqueOnEveryOfferedChain: orders on ETH, on BSC and on
// both ("*") racing on two replicas never share a payable amount on a chain
// they are both payable on.
func TestAmountModeUniqueOnEveryOfferedChain(t *testing.T) {
	chains := []string{"ETH", "BSC", "*"}
	rows, _ := handleOnReplicas(t, 150, amountOrder(func(i int) string { return chains[i%len(chains)] }))
	perChain := uniquePerChain(t, rows)
	if len(perChain["ETH"]) != 100 || len(perChain["BSC"]) != 100 {
		t.Fatalf("%d payable amounts on ETH and %d on BSC, want 100 each", len(perChain["ETH"]), len(perChain["BSC"]))
	}
}

// handleOnReplicas hands n requests (fields(i) signed) at once to two
// handlers on separate connection pools, and returns the order returns and
// one of the schema's handles.
func handleOnReplicas(t *testing.T, n int, fields func(i int) map[string]any) ([]outboxRow, *gorm.DB) {
	t.Helper()
	dbs := openSchema(t, 2)
	handlers := []*requests.Handler{newHandler(t, dbs[0]), newHandler(t, dbs[1])}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 24)
	for i := range n {
		d := signed(t, fields(i))
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := handlers[i%2].Handle(context.Background(), d); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("handle: %v", err)
	}
	rows := outboxRows(t, dbs[0], "pay.order.return")
	if len(rows) != n {
		t.Fatalf("%d order returns, want %d", len(rows), n)
	}
	return rows, dbs[0]
}

// amountOrder is the i-th of distinct amount-mode orders of 10 on chain(i).
func amountOrder(chain func(i int) string) func(i int) map[string]any {
	return func(i int) map[string]any {
		return map[string]any{"request_id": fmt.Sprintf("amt-%d", i), "order_id": fmt.Sprintf("o-%d", i),
			"amount": "10", "mode": "amount", "chain": chain(i)}
	}
}

// uniquePerChain checks that the created returns rows are valid successes
// in amount mode, no two payable on one chain at one amount, and returns
// their request_id by payable amount, per chain.
func uniquePerChain(t *testing.T, rows []outboxRow) map[string]map[string]string {
	t.Helper()
	v := validator(t)
	seen := map[string]map[string]string{}
	for _, r := range rows {
		if err := v.Validate(proto.OrderReturnCreated, r.Body); err != nil {
			t.Fatalf("%s: %v", r.Body, err)
		}
		m := decode(t, r.Body)
		if m["status"].(float64) != 1 || m["mode"] != "amount" {
			t.Fatalf("created: %s", r.Body)
		}
		chains := []string{m["chain"].(string)}
		if chains[0] == "*" {
			chains = strings.Split(m["chains"].(string), ",")
		}
		pa := m["pay_amount"].(string)
		for _, chain := range chains {
			if seen[chain] == nil {
				seen[chain] = map[string]string{}
			}
			if other, dup := seen[chain][pa]; dup {
				t.Fatalf("pay_amount %s on %s given to %s and %s", pa, chain, other, m["request_id"])
			}
			seen[chain][pa] = m["request_id"].(string)
		}
	}
	return seen
}

func trimZeros(s string) string {
	for len(s) > 0 && s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

// TestClosedOrderReleasesPayableAmount: once an order leaves the open state its
// payable amount goes to the next order.
func TestClosedOrderReleasesPayableAmount(t *testing.T) {
	gdb := openSchema(t, 1)[0]
	h := newHandler(t, gdb)
	for _, id := range []string{"r-1", "r-2"} {
		if err := h.Handle(t.Context(), signed(t, map[string]any{"request_id": id, "order_id": id, "amount": "5",
			"mode": "amount"})); err != nil {
			t.Fatal(err)
		}
	}
	o, err := h.Store.ByRequestID(t.Context(), "r-1")
	if err != nil || o == nil {
		t.Fatalf("order r-1: %v", err)
	}
	if err := store.UpdateOrder(gdb, o.ID, store.StateExpired, false); err != nil {
		t.Fatal(err)
	}
	if err := h.Handle(t.Context(), signed(t, map[string]any{"request_id": "r-3", "order_id": "r-3", "amount": "5",
		"mode": "amount"})); err != nil {
		t.Fatal(err)
	}
	o3, err := h.Store.ByRequestID(t.Context(), "r-3")
	if err != nil || o3 == nil {
		t.Fatal(err)
	}
	if o3.PayAmount != o.PayAmount {
		t.Fatalf("r-3 pays %s, want the released %s", o3.PayAmount, o.PayAmount)
	}
}

func TestAddressModeFreshAddresses(t *testing.T) {
	gdb := openSchema(t, 1)[0]
	h := newHandler(t, gdb)
	addrs := map[string]bool{h.SharedAddress: true}
	for i := range 5 {
		id := fmt.Sprintf("adr-%d", i)
		if err := h.Handle(t.Context(), signed(t, map[string]any{"request_id": id, "order_id": id, "amount": 7.25,
			"expires_in": 60})); err != nil {
			t.Fatal(err)
		}
		o, err := h.Store.ByRequestID(t.Context(), id)
		if err != nil || o == nil {
			t.Fatal(err)
		}
		if o.AddressIndex == nil || *o.AddressIndex == 0 {
			t.Fatalf("order %s derived at index %v: index 0 is reserved", id, o.AddressIndex)
		}
		want, _ := h.Keys.Address(uint32(*o.AddressIndex))
		if o.PayAddress != lower(want.Hex()) || addrs[o.PayAddress] {
			t.Fatalf("order %s address %s: not fresh or not derived at its index", id, o.PayAddress)
		}
		addrs[o.PayAddress] = true
		if o.PayAmount != "7250000" || o.Mode != store.ModeAddress {
			t.Fatalf("order %s: %+v", id, o)
		}
	}
	watches := outboxRows(t, gdb, events.WatchKey)
	if len(watches) != 5 {
		t.Fatalf("%d watch requests, want 5", len(watches))
	}
	for _, w := range watches {
		data, err := internal.Open(broker.Delivery{Body: w.Body, RoutingKey: w.RoutingKey})
		if err != nil {
			t.Fatalf("watch request not sealed: %v", err)
		}
		var msg events.WatchAddress
		if err := json.Unmarshal(data, &msg); err != nil || msg.Owner != events.OwnerMatcher || !addrs[msg.Address] {
			t.Fatalf("watch request %s", w.Body)
		}
	}
	v := validator(t)
	for _, r := range outboxRows(t, gdb, "pay.order.return") {
		if err := v.Validate(proto.OrderReturnCreated, r.Body); err != nil {
			t.Fatalf("%s: %v", r.Body, err)
		}
		if m := decode(t, r.Body); m["amount"] != "7.25" || m["pay_amount"] != "7.25" {
			t.Fatalf("created: %s", r.Body)
		}
	}
}

func TestRequestChecks(t *testing.T) {
	gdb := openSchema(t, 1)[0]
	h := newHandler(t, gdb)
	if err := h.Handle(t.Context(), signed(t, map[string]any{"request_id": "taken", "order_id": "order-taken",
		"amount": "1"})); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		d     broker.Delivery
		code  string
		order bool // order_id echoed
	}{
		{"zero amount", signed(t, map[string]any{"request_id": "c-amt", "order_id": "x", "amount": "0"}), contract.ErrInvalidAmount, true},
		{"too precise", signed(t, map[string]any{"request_id": "c-prec", "order_id": "x", "amount": "1.0000001"}), contract.ErrInvalidAmount, true},
		{"unknown chain", signed(t, map[string]any{"request_id": "c-chain", "order_id": "x", "amount": "1", "chain": "BTC"}), contract.ErrUnknownChain, true},
		{"unknown token", signed(t, map[string]any{"request_id": "c-tok", "order_id": "x", "amount": "1", "symbol": "DAI"}), contract.ErrUnknownToken, true},
		{"unknown token on BSC", signed(t, map[string]any{"request_id": "c-tok-bsc", "order_id": "x", "amount": "1", "chain": "BSC", "symbol": "DAI"}), contract.ErrUnknownToken, true},
		{"unknown token on any chain", signed(t, map[string]any{"request_id": "c-tok-any", "order_id": "x", "amount": "1", "chain": "*", "symbol": "DAI"}), contract.ErrUnknownToken, true},
		{"chain names differ in case", signed(t, map[string]any{"request_id": "c-chain-case", "order_id": "x", "amount": "1", "chain": "bsc"}), contract.ErrUnknownChain, true},
		{"too precise for one of the chains", signed(t, map[string]any{"request_id": "c-prec-any", "order_id": "x", "amount": "1.0000001", "chain": "*"}), contract.ErrInvalidAmount, true},
		{"bad mode", signed(t, map[string]any{"request_id": "c-mode", "order_id": "x", "amount": "1", "mode": "fast"}), contract.ErrInvalidRequest, true},
		{"zero expires_in", signed(t, map[string]any{"request_id": "c-exp0", "order_id": "x", "amount": "1", "expires_in": 0}), contract.ErrInvalidRequest, true},
		{"long expires_in", signed(t, map[string]any{"request_id": "c-exp", "order_id": "x", "amount": "1", "expires_in": 604801}), contract.ErrInvalidRequest, true},
		{"string expires_in", signed(t, map[string]any{"request_id": "c-exps", "order_id": "x", "amount": "1", "expires_in": "60"}), contract.ErrInvalidRequest, true},
		{"missing order_id", signed(t, map[string]any{"request_id": "c-noid", "amount": "1"}), contract.ErrInvalidRequest, false},
		{"bad callback", signed(t, map[string]any{"request_id": "c-cb", "order_id": "x", "amount": "1", "callback_url": "ftp://x"}), contract.ErrInvalidRequest, true},
		{"order_id in use", signed(t, map[string]any{"request_id": "c-conf", "order_id": "order-taken", "amount": "1"}), contract.ErrConflict, true},
	}
	v := validator(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := h.Handle(t.Context(), tc.d); err != nil {
				t.Fatal(err)
			}
			rows := outboxRows(t, gdb, "pay.order.return")
			last := rows[len(rows)-1]
			if err := v.Validate(proto.OrderReturnCreated, last.Body); err != nil {
				t.Fatalf("%s: %v", last.Body, err)
			}
			m := decode(t, last.Body)
			if m["status"].(float64) != 0 || m["error"] != tc.code {
				t.Fatalf("answer %s, want error %s", last.Body, tc.code)
			}
			if _, has := m["order_id"]; has != tc.order {
				t.Fatalf("order_id echoed=%v, want %v: %s", has, tc.order, last.Body)
			}
			if f, _ := sign.ParseFields(last.Body); sign.Verify([]byte(secret), f) != nil {
				t.Fatalf("return not signed: %s", last.Body)
			}
		})
	}
	var n int64
	if err := gdb.Raw("SELECT COUNT(*) FROM orders").Scan(&n).Error; err != nil || n != 1 {
		t.Fatalf("refused requests created orders: %d (%v)", n, err)
	}

	for _, body := range []string{`not json`, `{"order_id":"x"}`, `{"request_id":"bad id!"}`, `[1]`} {
		err := h.Handle(t.Context(), broker.Delivery{Body: []byte(body)})
		if _, ok := broker.IsPoison(err); !ok {
			t.Fatalf("%s: got %v, want a poison error", body, err)
		}
	}
}

// TestRepeatedRequestSameAnswer: a repeated request_id, even with other fields,
// gets the stored created return byte for byte and opens nothing.
func TestRepeatedRequestSameAnswer(t *testing.T) {
	gdb := openSchema(t, 1)[0]
	h := newHandler(t, gdb)
	if err := h.Handle(t.Context(), signed(t, map[string]any{"request_id": "rep", "order_id": "rep-o", "amount": "3",
		"mode": "amount"})); err != nil {
		t.Fatal(err)
	}
	// A new seal would carry another timestamp and signature.
	h.Sealer.Now = func() time.Time { return time.Now().Add(time.Hour) }
	if err := h.Handle(t.Context(), signed(t, map[string]any{"request_id": "rep", "order_id": "other", "amount": "4"})); err != nil {
		t.Fatal(err)
	}
	rows := outboxRows(t, gdb, "pay.order.return")
	if len(rows) != 2 || string(rows[0].Body) != string(rows[1].Body) || rows[0].MessageID != rows[1].MessageID {
		t.Fatalf("repeat answered differently: %d rows", len(rows))
	}
	var n int64
	if err := gdb.Raw("SELECT COUNT(*) FROM orders").Scan(&n).Error; err != nil || n != 1 {
		t.Fatalf("%d orders (%v), want 1", n, err)
	}
}

// TestConcurrentRepeatsOnReplicas: one request delivered many times at once
// to two replicas opens one order, and every delivery is answered with its
// created return, never with a refusal, whichever unique key the losing
// inserts collide on.
func TestConcurrentRepeatsOnReplicas(t *testing.T) {
	const n = 16
	rows, gdb := handleOnReplicas(t, n, func(int) map[string]any {
		return map[string]any{"request_id": "same", "order_id": "same-o", "amount": "5"}
	})
	for _, r := range rows {
		if string(r.Body) != string(rows[0].Body) || !strings.Contains(string(r.Body), `"status":1`) {
			t.Fatalf("answers differ or refuse: %s and %s", rows[0].Body, r.Body)
		}
	}
	var orders int64
	if err := gdb.Raw("SELECT COUNT(*) FROM orders").Scan(&orders).Error; err != nil || orders != 1 {
		t.Fatalf("%d orders (%v), want 1", orders, err)
	}
}
