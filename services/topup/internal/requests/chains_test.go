package requests_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/services/topup/internal/requests"
)

// registered is the stored answer of requestID.
func registered(t *testing.T, h *requests.Handler, requestID string) map[string]any {
	t.Helper()
	reg, err := h.Store.ByRequestID(t.Context(), requestID)
	if err != nil || reg == nil {
		t.Fatalf("%s not registered (%v)", requestID, err)
	}
	var answer map[string]any
	if err := json.Unmarshal(reg.ReturnBody, &answer); err != nil {
		t.Fatal(err)
	}
	return answer
}

// addressLists opens the address lists in the outbox, oldest first.
func addressLists(t *testing.T, h *requests.Handler) []events.AddressList {
	t.Helper()
	var lists []events.AddressList
	for _, m := range outboxed(t, h, events.AddressListKey) {
		data, err := internal.Open(broker.Delivery{Body: m.Body, RoutingKey: m.RoutingKey})
		var l events.AddressList
		if err != nil || json.Unmarshal(data, &l) != nil {
			t.Fatalf("address list %s not sealed: %v", m.Body, err)
		}
		lists = append(lists, l)
	}
	return lists
}

// TestChainsARequestCovers: a request covers the chain it names (ETH by
// default) or, with "*", every configured chain serving its token, and the
// listener is asked to watch its address on those chains only; a chain not
// configured, or a token its chain does not serve, is refused.
func TestChainsARequestCovers(t *testing.T) {
	h, gdb := setup(t)
	cases := []struct {
		fields map[string]any
		chain  string
		chains string // the answer's chains field, and the lists' chains
	}{
		{map[string]any{"request_id": "default"}, "ETH", "ETH"},
		{map[string]any{"request_id": "bsc", "chain": "BSC"}, "BSC", "BSC"},
		{map[string]any{"request_id": "all", "chain": "*"}, "*", "ETH,BSC"},
		{map[string]any{"request_id": "all-dai", "chain": "*", "symbol": "DAI"}, "*", "POLY"},
		{map[string]any{"request_id": "given", "chain": "*", "address": "0x00000000000000000000000000000000000000Dd"}, "*", "ETH,BSC"},
	}
	for _, c := range cases {
		id := c.fields["request_id"].(string)
		before := len(addressLists(t, h))
		if err := h.Handle(t.Context(), topup(t, c.fields)); err != nil {
			t.Fatal(err)
		}
		answer := registered(t, h, id)
		wantChains := ""
		if c.chain == "*" {
			wantChains = c.chains
		}
		if chains, _ := answer["chains"].(string); answer["chain"] != c.chain || chains != wantChains {
			t.Errorf("%s: answer %v, want chain %s chains %q", id, answer, c.chain, wantChains)
		}
		var listed []string
		for _, l := range addressLists(t, h)[before:] {
			if len(l.Addresses) != 1 || l.Addresses[0].Address != answer["address"] {
				t.Errorf("%s: list %+v, want its address %v", id, l, answer["address"])
			}
			listed = append(listed, l.Chain)
		}
		if strings.Join(listed, ",") != c.chains {
			t.Errorf("%s: watched on %v, want %s", id, listed, c.chains)
		}
	}

	refusals := []struct {
		fields map[string]any
		code   string
	}{
		{map[string]any{"request_id": "tron", "chain": "TRON"}, contract.ErrUnknownChain},
		{map[string]any{"request_id": "bsc-dai", "chain": "BSC", "symbol": "DAI"}, contract.ErrUnknownToken},
		{map[string]any{"request_id": "eth-dai", "symbol": "DAI"}, contract.ErrUnknownToken},
		{map[string]any{"request_id": "all-doge", "chain": "*", "symbol": "DOGE"}, contract.ErrUnknownToken},
		// Watched on ETH and BSC already (given, above).
		{map[string]any{"request_id": "given-bsc", "chain": "BSC", "address": "0x00000000000000000000000000000000000000dd"}, contract.ErrAddressInUse},
	}
	for _, r := range refusals {
		id := r.fields["request_id"].(string)
		if err := h.Handle(t.Context(), topup(t, r.fields)); err != nil {
			t.Fatal(err)
		}
		if got := refusalOf(t, h, id); got != r.code {
			t.Errorf("%s refused with %q, want %q", id, got, r.code)
		}
	}
	if n := count(t, gdb, "SELECT COUNT(*) FROM registrations"); n != int64(len(cases)) {
		t.Fatalf("%d registrations, want %d", n, len(cases))
	}
}

// TestAGivenAddressOnEachChain: an address is unique per chain, so one given
// address may be watched on ETH under one request_id and on BSC under
// another, but not twice on a chain.
func TestAGivenAddressOnEachChain(t *testing.T) {
	h, _ := setup(t)
	const addr = "0x00000000000000000000000000000000000000ee"
	for _, c := range []struct{ id, chain, code string }{
		{"on-eth", "ETH", ""}, {"on-bsc", "BSC", ""}, {"on-bsc-again", "BSC", contract.ErrAddressInUse}, {"on-all", "*", contract.ErrAddressInUse},
	} {
		if err := h.Handle(t.Context(), topup(t, map[string]any{"request_id": c.id, "chain": c.chain, "address": addr})); err != nil {
			t.Fatal(err)
		}
		if got := refusalOf(t, h, c.id); got != c.code {
			t.Errorf("%s on %s: refused with %q, want %q", c.id, c.chain, got, c.code)
		}
	}
}

// TestRepeatWithAnotherChain: a repeated request_id is the same request
// whatever chain it names, a configured one or not: its first answer is sent
// again, byte for byte, and nothing else is registered or watched.
func TestRepeatWithAnotherChain(t *testing.T) {
	h, gdb := setup(t)
	if err := h.Handle(t.Context(), topup(t, map[string]any{"request_id": "r", "chain": "*"})); err != nil {
		t.Fatal(err)
	}
	reg, err := h.Store.ByRequestID(t.Context(), "r")
	if err != nil || reg == nil {
		t.Fatalf("not registered: %v", err)
	}
	repeats := []map[string]any{
		{"request_id": "r", "chain": "*"}, {"request_id": "r", "chain": "BSC"}, {"request_id": "r"},
		{"request_id": "r", "chain": "TRON"}, {"request_id": "r", "chain": "BSC", "symbol": "DAI"},
	}
	var published [][]byte
	h.Publisher = publisherFunc(func(m broker.Message) { published = append(published, m.Body) })
	for _, fields := range repeats {
		if err := h.Handle(t.Context(), topup(t, fields)); err != nil {
			t.Fatal(err)
		}
	}
	if len(published) != len(repeats) {
		t.Fatalf("%d answers to %d repeats", len(published), len(repeats))
	}
	for i, body := range published {
		if string(body) != string(reg.ReturnBody) {
			t.Errorf("repeat %v answered %s, want the first answer %s", repeats[i], body, reg.ReturnBody)
		}
	}
	if n := count(t, gdb, "SELECT COUNT(*) FROM registration_chains"); n != 2 {
		t.Fatalf("%d chains covered, want ETH and BSC once", n)
	}
	if got := refusalOf(t, h, "r"); got != "" {
		t.Fatalf("a repeat was refused with %s", got)
	}
}

// publisherFunc records what is published straight to the broker (a
// repeat's answer; everything else goes through the outbox).
type publisherFunc func(broker.Message)

func (f publisherFunc) Publish(_ context.Context, _, _ string, m broker.Message) error {
	f(m)
	return nil
}
