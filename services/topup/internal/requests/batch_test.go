package requests_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/db/dbtest"
	"paysuite/pkg/events"
	"paysuite/pkg/hdwallet"
	"paysuite/pkg/outbox"
	"paysuite/pkg/request"
	"paysuite/pkg/service/servicetest"
	"paysuite/pkg/sign"
	"paysuite/pkg/tokens"
	"paysuite/services/topup/internal/requests"
	"paysuite/services/topup/internal/store"
)

var secret = []byte("topup-secret")

// internal is the internal messages' key of the tests.
var internal = servicetest.MustKeys("topup-internal-secret")

func setup(t *testing.T) (*requests.Handler, *gorm.DB) {
	t.Helper()
	gdb := dbtest.Open(t, store.Migrations())
	h := &requests.Handler{
		Store: store.New(gdb), Names: contract.DefaultNames(), Chains: chains(t),
		Keys: servicetest.DevXPub(t, hdwallet.DevDepositPath), Internal: internal, Sealer: sign.Sealer{Secret: secret},
		Log: zerolog.Nop(), OnCommit: func() {},
	}
	h.Gate = &request.Gate{Secrets: [][]byte{secret}, MaxSkew: time.Minute, Sealer: h.Sealer, Replay: h.Replay,
		Log: zerolog.Nop()}
	return h, gdb
}

// chains are the chains of the tests: the development chains ETH and BSC,
// and POLY, which serves DAI only.
func chains(t *testing.T) []requests.Chain {
	t.Helper()
	var list []requests.Chain
	for _, c := range []struct{ name, tokens string }{
		{"ETH", tokens.DevUSDT}, {"BSC", tokens.DevBSCUSDT}, {"POLY", "DAI:0x8f3Cf7ad23Cd3CaDbD9735AFf958023239c6A063:18"},
	} {
		served, err := tokens.Parse(c.tokens)
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, requests.Chain{Name: c.name, Tokens: served})
	}
	return list
}

func topup(t *testing.T, fields map[string]any) broker.Delivery {
	t.Helper()
	body, err := sign.Seal(secret, fields, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return broker.Delivery{Body: body}
}

// stale is a correctly signed request an hour old.
func stale(t *testing.T, fields map[string]any) broker.Delivery {
	t.Helper()
	body, err := sign.Seal(secret, fields, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return broker.Delivery{Body: body}
}

func count(t *testing.T, gdb *gorm.DB, query string) int64 {
	t.Helper()
	var n int64
	if err := gdb.Raw(query).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBatchRegistersEachRequest(t *testing.T) {
	h, gdb := setup(t)
	// Ids do not start at 1 (as after rolled-back inserts): each allocated
	// address must derive from its own row's id.
	if err := gdb.Exec("ALTER TABLE registrations AUTO_INCREMENT = 7").Error; err != nil {
		t.Fatal(err)
	}
	batch := []broker.Delivery{
		topup(t, map[string]any{"request_id": "b-1", "user_id": "u-1"}),
		topup(t, map[string]any{"request_id": "b-2", "address": "0x00000000000000000000000000000000000000AA"}),
		topup(t, map[string]any{"request_id": "b-3", "callback_url": "https://shop.example/hook"}),
	}
	if err := h.HandleBatch(t.Context(), batch); err != nil {
		t.Fatal(err)
	}
	var regs []store.Registration
	if err := gdb.Order("request_id").Find(&regs).Error; err != nil {
		t.Fatal(err)
	}
	if len(regs) != 3 {
		t.Fatalf("%d registrations", len(regs))
	}
	for _, r := range regs {
		want := "0x00000000000000000000000000000000000000aa"
		if r.Allocated {
			addr, err := h.Keys.Address(uint32(r.ID))
			if err != nil {
				t.Fatal(err)
			}
			want = strings.ToLower(addr.Hex())
		}
		if r.Address == nil || *r.Address != want {
			t.Errorf("%s (id %d): address %v, want %s", r.RequestID, r.ID, r.Address, want)
		}
		var answer struct {
			RequestID string `json:"request_id"`
			Status    int    `json:"status"`
			Address   string `json:"address"`
		}
		if err := json.Unmarshal(r.ReturnBody, &answer); err != nil {
			t.Fatalf("%s: stored answer %q: %v", r.RequestID, r.ReturnBody, err)
		}
		if answer.RequestID != r.RequestID || answer.Status != 1 || answer.Address != want {
			t.Errorf("%s: stored answer %s", r.RequestID, r.ReturnBody)
		}
		fields, err := sign.ParseFields(r.ReturnBody)
		if err != nil {
			t.Fatal(err)
		}
		if err := sign.Verify(secret, fields); err != nil {
			t.Errorf("%s: stored answer not signed: %v", r.RequestID, err)
		}
	}
	// An answer each, the webhook of b-3's after it and, first, one list of
	// the three addresses with the derivation index of the two allocated
	// ones: the listener and pay hear of an address before its owner does.
	var msgs []outbox.Message
	if err := gdb.Order("id").Find(&msgs).Error; err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 5 {
		t.Fatalf("%d outbox messages, want 5", len(msgs))
	}
	if msgs[0].RoutingKey != events.AddressListKey {
		t.Fatalf("first message routed to %s", msgs[0].RoutingKey)
	}
	// Sealed for the listener and pay: nobody else can make one.
	data, err := internal.Open(broker.Delivery{Body: msgs[0].Body, RoutingKey: msgs[0].RoutingKey})
	if err != nil {
		t.Fatalf("address list not sealed: %v", err)
	}
	var list events.AddressList
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatal(err)
	}
	if list.Chain != "ETH" || list.Owner != events.OwnerTopup || len(list.Addresses) != 3 {
		t.Fatalf("address list %s", msgs[0].Body)
	}
	for _, r := range regs {
		i := slices.IndexFunc(list.Addresses, func(e events.ListedAddress) bool { return e.Address == *r.Address })
		if i < 0 {
			t.Errorf("%s: address %s not listed", r.RequestID, *r.Address)
			continue
		}
		e := list.Addresses[i]
		switch {
		case !r.Allocated && e.Index != nil:
			t.Errorf("%s: given address listed with index %d", r.RequestID, *e.Index)
		case r.Allocated && (e.Index == nil || *e.Index != uint32(r.ID)):
			t.Errorf("%s (id %d): allocated address listed with index %v", r.RequestID, r.ID, e.Index)
		}
	}
	for _, m := range msgs[1:4] {
		if m.RoutingKey != h.Names.TopupReturnKey || !strings.HasSuffix(m.MessageID, ":registered") {
			t.Errorf("message %s routed to %s, want an answer", m.MessageID, m.RoutingKey)
		}
	}
	data, err = internal.Open(broker.Delivery{Body: msgs[4].Body, RoutingKey: msgs[4].RoutingKey})
	var hook events.Webhook
	if err != nil || json.Unmarshal(data, &hook) != nil {
		t.Fatalf("webhook %s not sealed: %v", msgs[4].Body, err)
	}
	if msgs[4].RoutingKey != events.WebhookKey || hook.RequestID != "b-3" || hook.CallbackURL != "https://shop.example/hook" ||
		hook.MessageID != msgs[3].MessageID || hook.Body != string(msgs[3].Body) {
		t.Fatalf("webhook %+v routed to %s, want b-3's answer", hook, msgs[4].RoutingKey)
	}
}

// A batch holding anything but new, valid requests for distinct addresses
// fails without writing anything, so that each request is handled alone.
func TestBatchWithOtherRequestsFails(t *testing.T) {
	h, gdb := setup(t)
	if err := h.HandleBatch(t.Context(), []broker.Delivery{
		topup(t, map[string]any{"request_id": "known"}),
		topup(t, map[string]any{"request_id": "taken", "address": "0x00000000000000000000000000000000000000bb"}),
	}); err != nil {
		t.Fatal(err)
	}
	fresh := topup(t, map[string]any{"request_id": "fresh"})
	cases := []struct {
		name string
		with []broker.Delivery
	}{
		{"a repeat", []broker.Delivery{topup(t, map[string]any{"request_id": "known"})}},
		{"garbage", []broker.Delivery{{Body: []byte("not json")}}},
		{"a bad signature", []broker.Delivery{{Body: []byte(`{"request_id":"x","timestamp":1,"sign":"00"}`)}}},
		{"a stale timestamp", []broker.Delivery{stale(t, map[string]any{"request_id": "old"})}},
		{"a return", []broker.Delivery{topup(t, map[string]any{"request_id": "ret", "event": "registered", "status": 1})}},
		{"a refusal", []broker.Delivery{topup(t, map[string]any{"request_id": "bad", "address": "0x12"})}},
		{"an unknown token", []broker.Delivery{topup(t, map[string]any{"request_id": "tok", "symbol": "DOGE"})}},
		{"an address taken", []broker.Delivery{topup(t, map[string]any{"request_id": "again", "address": "0x00000000000000000000000000000000000000BB"})}},
		{"the same request_id", []broker.Delivery{fresh}},
		{"the same address twice", []broker.Delivery{
			topup(t, map[string]any{"request_id": "twin-1", "address": "0x00000000000000000000000000000000000000cc"}),
			topup(t, map[string]any{"request_id": "twin-2", "address": "0x00000000000000000000000000000000000000CC"}),
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := h.HandleBatch(t.Context(), append([]broker.Delivery{fresh}, c.with...)); err == nil {
				t.Fatal("batch accepted")
			}
			if n := count(t, gdb, "SELECT COUNT(*) FROM registrations"); n != 2 {
				t.Fatalf("%d registrations after a failed batch, want the 2 before it", n)
			}
		})
	}
}
