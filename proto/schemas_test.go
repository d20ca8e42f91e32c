package proto_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"paysuite/proto"
)

// Sample values shared by the example messages.
var (
	sig        = strings.Repeat("ab", 32)
	addrLower  = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
	addrMixed  = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
	addrLower2 = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc"
	txHash     = "0x" + strings.Repeat("1f", 32)
	blockHash  = "0x" + strings.Repeat("2e", 32)
)

// msg is an example message; with and without return modified copies so that each
// case states only what it changes.
type msg map[string]any

func (m msg) with(kv ...any) msg {
	out := maps.Clone(m)
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func (m msg) without(keys ...string) msg {
	out := maps.Clone(m)
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

type validateCase struct {
	name string
	body msg
	ok   bool
}

// examples holds, per schema, a valid base message and cases derived from it.
func examples() map[string][]validateCase {
	topupReq := msg{"request_id": "t-1", "timestamp": 1758610297, "sign": sig}
	registered := msg{
		"request_id": "t-1", "event": "registered", "status": 1, "chain": "ETH", "symbol": "USDT",
		"address": addrLower, "timestamp": 1758610300, "sign": sig,
	}
	deposit := msg{
		"request_id": "t-1", "event": "deposit", "status": 2, "chain": "ETH", "symbol": "USDT",
		"amount": "12.345678", "deposit_id": "ETH:" + txHash + ":3", "address": addrLower,
		"from_address": addrLower2, "tx_hash": txHash, "log_index": 3, "block_number": 120,
		"block_hash": blockHash, "confirmations": 1, "timestamp": 1758610300, "sign": sig,
	}
	withdrawReq := msg{"request_id": "w-1", "to_address": addrMixed, "amount": "12.5", "timestamp": 1758610297, "sign": sig}
	wSubmitted := msg{
		"request_id": "w-1", "event": "submitted", "status": 2, "chain": "ETH", "symbol": "USDT",
		"amount": "12.5", "to_address": addrLower, "from_address": addrLower2, "tx_hash": txHash,
		"timestamp": 1758610300, "sign": sig,
	}
	wFinal := msg{
		"request_id": "w-1", "event": "withdraw", "status": 1, "chain": "ETH", "symbol": "USDT",
		"amount": "12.5", "to_address": addrLower, "from_address": addrLower2, "tx_hash": txHash,
		"block_number": 140, "fee": "0.000042", "timestamp": 1758610330, "sign": sig,
	}
	payReq := msg{
		"request_id": "p-1", "order_id": "o-1", "from_address": addrMixed, "to_address": addrLower2,
		"amount": "3", "timestamp": 1758610297, "sign": sig,
	}
	pSubmitted := msg{
		"request_id": "p-1", "event": "submitted", "status": 2, "order_id": "o-1", "chain": "ETH",
		"symbol": "USDT", "amount": "3", "to_address": addrLower2, "from_address": addrLower,
		"paid_from": "user", "tx_hash": txHash, "timestamp": 1758610300, "sign": sig,
	}
	pFinal := pSubmitted.with("event", "pay", "status", 1, "block_number", 150, "fee", "0.0001")
	orderReq := msg{"request_id": "o-req-1", "order_id": "o-1", "amount": "25", "timestamp": 1758610297, "sign": sig}
	created := msg{
		"request_id": "o-req-1", "event": "created", "status": 1, "order_id": "o-1", "chain": "ETH",
		"symbol": "USDT", "amount": "25", "pay_address": addrLower, "pay_amount": "25",
		"expires_at": 1758611197, "mode": "address", "timestamp": 1758610300, "sign": sig,
	}
	paid := msg{
		"request_id": "o-req-1", "event": "paid", "status": 2, "order_id": "o-1", "chain": "ETH",
		"symbol": "USDT", "amount": "25", "pay_address": addrLower, "pay_amount": "25.000001",
		"paid_amount": "25.000001", "tx_hash": txHash, "late": false, "timestamp": 1758610400, "sign": sig,
	}
	expired := msg{
		"request_id": "o-req-1", "event": "expired", "status": 0, "error": "expired", "order_id": "o-1",
		"chain": "ETH", "symbol": "USDT", "amount": "25", "pay_address": addrLower, "pay_amount": "25",
		"paid_amount": "0", "timestamp": 1758611200, "sign": sig,
	}
	rejected := msg{
		"request_id": "w-1", "event": "rejected", "status": 0, "error": "bad_signature",
		"message": "the sign field does not match the request", "timestamp": 1758610300, "sign": sig,
	}

	cases := map[string][]validateCase{
		proto.TopupRequest: {
			{"minimal", topupReq, true},
			{"full, mixed-case address", topupReq.with("chain", "ETH", "symbol", "usdt", "address", addrMixed,
				"user_id", "u-42", "callback_url", "https://merchant.example/hooks/pay?x=1"), true},
			{"unknown field ignored", topupReq.with("note", map[string]any{"a": 1}), true},
			{"empty and null optional fields", topupReq.with("address", "", "callback_url", nil, "chain", ""), true},
			{"missing timestamp", topupReq.without("timestamp"), false},
			{"missing request_id", topupReq.without("request_id"), false},
			{"request_id with space", topupReq.with("request_id", "t 1"), false},
			{"request_id too long", topupReq.with("request_id", strings.Repeat("a", 65)), false},
			{"request_id of 64", topupReq.with("request_id", strings.Repeat("a", 64)), true},
			{"short address", topupReq.with("address", "0x1234"), false},
			{"user_id too long", topupReq.with("user_id", strings.Repeat("u", 65)), false},
			{"callback_url not a url", topupReq.with("callback_url", "not a url"), false},
			{"callback_url not http", topupReq.with("callback_url", "ftp://merchant.example/x"), false},
			{"timestamp as string", topupReq.with("timestamp", "1758610297"), false},
			{"sign uppercase", topupReq.with("sign", strings.ToUpper(sig)), false},
			{"sign short", topupReq.with("sign", "abc"), false},
		},
		proto.TopupReturnRegistered: {
			{"registered", registered, true},
			{"with user_id", registered.with("user_id", "u-42"), true},
			{"refused without address", registered.with("status", 0, "error", "invalid_address", "message", "bad address").without("address"), true},
			{"address in use", registered.with("status", 0, "error", "address_in_use"), true},
			{"uppercase address", registered.with("address", addrMixed), false},
			{"status 1 without address", registered.without("address"), false},
			{"status 1 with error", registered.with("error", "internal_error"), false},
			{"status 0 without error", registered.with("status", 0), false},
			{"status 2", registered.with("status", 2), false},
			{"unknown error code", registered.with("status", 0, "error", "oops"), false},
			{"stale_timestamp is only rejected's", registered.with("status", 0, "error", "stale_timestamp"), false},
			{"wrong event", registered.with("event", "deposit"), false},
			{"extra field", registered.with("extra", 1), false},
			{"missing sign", registered.without("sign"), false},
		},
		proto.TopupReturnDeposit: {
			{"seen", deposit, true},
			{"confirmed", deposit.with("status", 1, "confirmations", 20), true},
			{"reorged", deposit.with("status", 0, "error", "reorged", "message", "block removed"), true},
			{"whole amount", deposit.with("amount", "100"), true},
			{"zero amount", deposit.with("amount", "0"), true},
			{"with user_id", deposit.with("user_id", "u-42"), true},
			{"amount with trailing zeros", deposit.with("amount", "12.3400"), false},
			{"amount with leading zero", deposit.with("amount", "012.5"), false},
			{"amount ending in dot", deposit.with("amount", "12."), false},
			{"amount as number", deposit.with("amount", json.Number("12.5")), false},
			{"uppercase address", deposit.with("address", addrMixed), false},
			{"uppercase from_address", deposit.with("from_address", addrMixed), false},
			{"uppercase tx_hash", deposit.with("tx_hash", strings.ToUpper(txHash)), false},
			{"status 0 without error", deposit.with("status", 0), false},
			{"status 0 with other error", deposit.with("status", 0, "error", "expired"), false},
			{"status 2 with error", deposit.with("error", "reorged"), false},
			{"bad deposit_id", deposit.with("deposit_id", txHash+":3"), false},
			{"log_index as string", deposit.with("log_index", "3"), false},
			{"negative confirmations", deposit.with("confirmations", -1), false},
			{"missing sign", deposit.without("sign"), false},
			{"missing block_hash", deposit.without("block_hash"), false},
			{"extra field", deposit.with("token", addrLower), false},
		},
		proto.WithdrawRequest: {
			{"minimal", withdrawReq, true},
			{"amount as number", withdrawReq.with("amount", json.Number("12.5")), true},
			{"amount with trailing zero", withdrawReq.with("amount", "12.50"), true},
			{"with from_address", withdrawReq.with("from_address", addrLower2, "chain", "ETH", "symbol", "USDT"), true},
			{"unknown field ignored", withdrawReq.with("memo", "x"), true},
			{"amount zero", withdrawReq.with("amount", "0.000"), false},
			{"amount number zero", withdrawReq.with("amount", json.Number("0")), false},
			{"amount negative", withdrawReq.with("amount", "-1"), false},
			{"amount exponent", withdrawReq.with("amount", "1e3"), false},
			{"amount words", withdrawReq.with("amount", "ten"), false},
			{"amount leading dot", withdrawReq.with("amount", ".5"), false},
			{"missing amount", withdrawReq.without("amount"), false},
			{"missing to_address", withdrawReq.without("to_address"), false},
			{"bad to_address", withdrawReq.with("to_address", "0xzz997970c51812dc3a010c7d01b50e0d17dc79c8"), false},
		},
		proto.WithdrawReturnSubmitted: {
			{"submitted", wSubmitted, true},
			{"status 1", wSubmitted.with("status", 1), false},
			{"missing tx_hash", wSubmitted.without("tx_hash"), false},
			{"amount not canonical", wSubmitted.with("amount", "12.50"), false},
			{"error not allowed", wSubmitted.with("error", "reverted"), false},
			{"missing sign", wSubmitted.without("sign"), false},
		},
		proto.WithdrawReturnWithdraw: {
			{"success", wFinal, true},
			{"failed, request valid", wFinal.with("status", 0, "error", "insufficient_balance").without("tx_hash", "block_number", "fee"), true},
			{"failed, amount invalid", wFinal.with("status", 0, "error", "invalid_amount").without("amount", "tx_hash", "block_number", "fee"), true},
			{"failed, invalid request", msg{"request_id": "w-1", "event": "withdraw", "status": 0, "error": "invalid_request",
				"chain": "ETH", "symbol": "USDT", "timestamp": 1758610300, "sign": sig}, true},
			{"bad_signature is only rejected's", wFinal.with("status", 0, "error", "bad_signature").without("tx_hash", "block_number", "fee"), false},
			{"stale_timestamp is only rejected's", wFinal.with("status", 0, "error", "stale_timestamp").without("tx_hash", "block_number", "fee"), false},
			{"reverted", wFinal.with("status", 0, "error", "reverted"), true},
			{"status 1 without tx_hash", wFinal.without("tx_hash"), false},
			{"status 1 without block_number", wFinal.without("block_number"), false},
			{"status 1 without fee", wFinal.without("fee"), false},
			{"status 1 without amount", wFinal.without("amount"), false},
			{"status 1 with error", wFinal.with("error", "reverted"), false},
			{"status 0 without error", wFinal.with("status", 0), false},
			{"status 2", wFinal.with("status", 2), false},
			{"fee not canonical", wFinal.with("fee", "0.00004200"), false},
			{"uppercase to_address", wFinal.with("to_address", addrMixed), false},
		},
		proto.PayRequest: {
			{"minimal", payReq, true},
			{"amount as number", payReq.with("amount", json.Number("3.25")), true},
			{"missing order_id", payReq.without("order_id"), false},
			{"empty order_id", payReq.with("order_id", ""), false},
			{"order_id too long", payReq.with("order_id", strings.Repeat("o", 65)), false},
			{"missing from_address", payReq.without("from_address"), false},
			{"missing to_address", payReq.without("to_address"), false},
		},
		proto.PayReturnSubmitted: {
			{"submitted from user", pSubmitted, true},
			{"submitted from hot wallet", pSubmitted.with("paid_from", "hot_wallet", "from_address", addrLower2), true},
			{"unknown paid_from", pSubmitted.with("paid_from", "merchant"), false},
			{"missing paid_from", pSubmitted.without("paid_from"), false},
			{"missing order_id", pSubmitted.without("order_id"), false},
			{"status 1", pSubmitted.with("status", 1), false},
		},
		proto.PayReturnPay: {
			{"paid by user", pFinal, true},
			{"paid by hot wallet", pFinal.with("paid_from", "hot_wallet"), true},
			{"failed, balance", pFinal.with("status", 0, "error", "insufficient_balance").without("tx_hash", "block_number", "fee"), true},
			{"failed, invalid request", msg{"request_id": "p-1", "event": "pay", "status": 0, "error": "invalid_request",
				"chain": "ETH", "symbol": "USDT", "timestamp": 1758610300, "sign": sig}, true},
			{"bad_signature is only rejected's", msg{"request_id": "p-1", "event": "pay", "status": 0, "error": "bad_signature",
				"chain": "ETH", "symbol": "USDT", "timestamp": 1758610300, "sign": sig}, false},
			{"status 1 without paid_from", pFinal.without("paid_from"), false},
			{"from_address without paid_from", pFinal.with("status", 0, "error", "reverted").without("paid_from"), false},
			{"status 1 without tx_hash", pFinal.without("tx_hash"), false},
			{"status 1 without order_id", pFinal.without("order_id"), false},
			{"wrong event", pFinal.with("event", "withdraw"), false},
			{"missing sign", pFinal.without("sign"), false},
		},
		proto.OrderRequest: {
			{"minimal", orderReq, true},
			{"amount mode", orderReq.with("mode", "amount", "expires_in", 60), true},
			{"longest expiry", orderReq.with("expires_in", 604800), true},
			{"expires_in zero", orderReq.with("expires_in", 0), false},
			{"expires_in too long", orderReq.with("expires_in", 604801), false},
			{"expires_in as string", orderReq.with("expires_in", "900"), false},
			{"unknown mode", orderReq.with("mode", "fixed"), false},
			{"missing order_id", orderReq.without("order_id"), false},
			{"missing amount", orderReq.without("amount"), false},
		},
		proto.OrderReturnCreated: {
			{"created", created, true},
			{"amount mode", created.with("mode", "amount", "pay_amount", "25.000001"), true},
			{"refused", msg{"request_id": "o-req-1", "event": "created", "status": 0, "error": "request_conflict",
				"order_id": "o-1", "chain": "ETH", "symbol": "USDT", "amount": "25", "timestamp": 1758610300, "sign": sig}, true},
			{"status 1 without pay_address", created.without("pay_address"), false},
			{"status 1 without expires_at", created.without("expires_at"), false},
			{"status 0 with pay_address", created.with("status", 0, "error", "internal_error"), false},
			{"bad_signature is only rejected's", msg{"request_id": "o-req-1", "event": "created", "status": 0, "error": "bad_signature",
				"chain": "ETH", "symbol": "USDT", "timestamp": 1758610300, "sign": sig}, false},
			{"unknown mode", created.with("mode", "x"), false},
			{"status 2", created.with("status", 2), false},
			{"missing sign", created.without("sign"), false},
		},
		proto.OrderReturnPaid: {
			{"seen", paid, true},
			{"confirmed", paid.with("status", 1, "block_number", 160), true},
			{"late partial", paid.with("late", true, "paid_amount", "10"), true},
			{"confirmed without block_number", paid.with("status", 1), false},
			{"status 0", paid.with("status", 0), false},
			{"missing late", paid.without("late"), false},
			{"late as string", paid.with("late", "no"), false},
			{"paid_amount not canonical", paid.with("paid_amount", "1.50"), false},
			{"missing tx_hash", paid.without("tx_hash"), false},
		},
		proto.OrderReturnExpired: {
			{"expired unpaid", expired, true},
			{"expired partly paid", expired.with("paid_amount", "10.5", "message", "underpaid"), true},
			{"status 1", expired.with("status", 1), false},
			{"other error", expired.with("error", "reorged"), false},
			{"missing error", expired.without("error"), false},
			{"missing paid_amount", expired.without("paid_amount"), false},
			{"extra field", expired.with("late", true), false},
		},
		proto.ReturnRejected: {
			{"bad signature", rejected, true},
			{"stale timestamp", rejected.with("error", "stale_timestamp", "message", "timestamp too far from the suite's clock"), true},
			{"invalid request", rejected.with("error", "invalid_request", "request_id", "t-1"), true},
			{"a flow's code", rejected.with("error", "invalid_amount"), false},
			{"echoes chain", rejected.with("chain", "ETH"), false},
			{"echoes amount", rejected.with("amount", "12.5"), false},
			{"extra field", rejected.with("extra", 1), false},
			{"another event", rejected.with("event", "withdraw"), false},
			{"status 1", rejected.with("status", 1), false},
			{"status 2", rejected.with("status", 2), false},
			{"missing error", rejected.without("error"), false},
			{"missing message", rejected.without("message"), false},
			{"missing request_id", rejected.without("request_id"), false},
			{"missing sign", rejected.without("sign"), false},
		},
	}
	// Every request is signed, and carries neither event nor status: only returns do.
	for schema, base := range map[string]msg{proto.TopupRequest: topupReq, proto.WithdrawRequest: withdrawReq,
		proto.PayRequest: payReq, proto.OrderRequest: orderReq} {
		cases[schema] = append(cases[schema],
			validateCase{"missing sign", base.without("sign"), false},
			validateCase{"carries event", base.with("event", "x"), false},
			validateCase{"carries status", base.with("status", 1), false},
			validateCase{"carries null status", base.with("status", nil), false},
		)
	}
	return cases
}

func TestSchemaNames(t *testing.T) {
	want := []string{
		proto.OrderRequest, proto.OrderReturnCreated, proto.OrderReturnExpired, proto.OrderReturnPaid,
		proto.PayRequest, proto.PayReturnPay, proto.PayReturnSubmitted, proto.ReturnRejected,
		proto.TopupRequest, proto.TopupReturnDeposit, proto.TopupReturnRegistered,
		proto.WithdrawRequest, proto.WithdrawReturnSubmitted, proto.WithdrawReturnWithdraw,
	}
	if got := proto.SchemaNames(); !slices.Equal(got, want) {
		t.Fatalf("SchemaNames() = %v, want %v", got, want)
	}
	if got := slices.Sorted(maps.Keys(examples())); !slices.Equal(got, want) {
		t.Fatalf("examples cover %v, want every schema %v", got, want)
	}
}

func TestEverySchemaCompiles(t *testing.T) {
	v, err := proto.NewValidator()
	if err != nil {
		t.Fatalf("NewValidator: %v", err)
	}
	for _, name := range proto.SchemaNames() {
		// An empty object satisfies no message schema: each has required fields.
		if err := v.Validate(name, []byte(`{}`)); err == nil {
			t.Errorf("%s: {} validated, want missing required fields", name)
		}
	}
}

// TestSchemaDocuments checks the conventions every schema file follows.
func TestSchemaDocuments(t *testing.T) {
	for _, name := range append(proto.SchemaNames(), "common") {
		t.Run(name, func(t *testing.T) {
			raw, err := proto.Schema(name)
			if err != nil {
				t.Fatalf("Schema(%q): %v", name, err)
			}
			var doc map[string]any
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatalf("parse: %v", err)
			}
			if got, want := doc["$id"], proto.BaseURL+name+".json"; got != want {
				t.Errorf("$id = %v, want %s", got, want)
			}
			if doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
				t.Errorf("$schema = %v, want draft 2020-12", doc["$schema"])
			}
			for _, k := range []string{"title", "description"} {
				if s, _ := doc[k].(string); s == "" {
					t.Errorf("missing %s", k)
				}
			}
			if name == "common" {
				defs, _ := doc["$defs"].(map[string]any)
				for def, body := range defs {
					if d, _ := body.(map[string]any)["description"].(string); d == "" {
						t.Errorf("$defs/%s has no description", def)
					}
				}
				return
			}
			props, _ := doc["properties"].(map[string]any)
			required, _ := doc["required"].([]any)
			if len(required) == 0 {
				t.Errorf("no required fields")
			}
			for _, r := range required {
				if _, ok := props[r.(string)]; !ok {
					t.Errorf("required %v is not a property", r)
				}
			}
			for _, r := range []string{"request_id", "timestamp", "sign"} {
				if !slices.Contains(required, any(r)) {
					t.Errorf("%s is not required", r)
				}
			}
			for p, body := range props {
				if d, _ := body.(map[string]any)["description"].(string); d == "" {
					t.Errorf("property %s has no description", p)
				}
			}
			if ap, set := doc["additionalProperties"]; isReturn(name) && ap != false {
				t.Errorf("return schema: additionalProperties = %v, want false", ap)
			} else if !isReturn(name) && set {
				t.Errorf("request schema must allow unknown fields, has additionalProperties = %v", ap)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	v, err := proto.NewValidator()
	if err != nil {
		t.Fatalf("NewValidator: %v", err)
	}
	for schema, cases := range examples() {
		for _, tc := range cases {
			t.Run(schema+"/"+tc.name, func(t *testing.T) {
				body, err := json.Marshal(tc.body)
				if err != nil {
					t.Fatalf("marshal: %v", err)
				}
				err = v.Validate(schema, body)
				if tc.ok && err != nil {
					t.Errorf("want valid, got %v\nbody: %s", err, body)
				}
				if !tc.ok {
					if err == nil {
						t.Errorf("want invalid, got valid\nbody: %s", body)
					} else {
						t.Logf("rejected as expected: %v", err)
					}
				}
			})
		}
	}
}

// isReturn tells return schemas (<flow>.return.<event>, and return.rejected,
// which every flow shares) from request schemas.
func isReturn(name string) bool {
	return strings.HasPrefix(name, "return.") || strings.Contains(name, ".return.")
}

// TestReturnsAreNeverRequests checks what keeps a return from being replayed
// as a request: no valid return of any flow, rejected included, satisfies any
// request schema, because it carries event and status.
func TestReturnsAreNeverRequests(t *testing.T) {
	v, err := proto.NewValidator()
	if err != nil {
		t.Fatalf("NewValidator: %v", err)
	}
	var requests []string
	for _, name := range proto.SchemaNames() {
		if !isReturn(name) {
			requests = append(requests, name)
		}
	}
	if len(requests) != 4 {
		t.Fatalf("request schemas = %v, want one per flow", requests)
	}
	checked := 0
	for schema, cases := range examples() {
		if !isReturn(schema) {
			continue
		}
		for _, tc := range cases {
			if !tc.ok {
				continue
			}
			body, err := json.Marshal(tc.body)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			for _, req := range requests {
				if err := v.Validate(req, body); err == nil {
					t.Errorf("return %s/%s validates as %s", schema, tc.name, req)
				}
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no valid return example checked")
	}
}

func TestValidateRejectsBadInput(t *testing.T) {
	v, err := proto.NewValidator()
	if err != nil {
		t.Fatalf("NewValidator: %v", err)
	}
	valid := `{"request_id":"t-1","timestamp":1758610297,"sign":"` + sig + `"}`
	if err := v.Validate(proto.TopupRequest, []byte(valid)); err != nil {
		t.Fatalf("valid request: %v", err)
	}
	tests := []struct {
		name, schema, body string
		unknown            bool
	}{
		{"unknown schema", "topup.nope", valid, true},
		{"common is not a message", "common", valid, true},
		{"not JSON", proto.TopupRequest, `request_id=t-1`, false},
		{"trailing data", proto.TopupRequest, valid + `{}`, false},
		{"array", proto.TopupRequest, `[` + valid + `]`, false},
		{"empty body", proto.TopupRequest, ``, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := v.Validate(tc.schema, []byte(tc.body))
			if err == nil {
				t.Fatal("want an error")
			}
			if got := errors.Is(err, proto.ErrUnknownSchema); got != tc.unknown {
				t.Errorf("errors.Is(err, ErrUnknownSchema) = %v, want %v (err: %v)", got, tc.unknown, err)
			}
		})
	}
	if _, err := proto.Schema("nope"); !errors.Is(err, proto.ErrUnknownSchema) {
		t.Errorf("Schema(nope) error = %v, want ErrUnknownSchema", err)
	}
}

// TestValidateConcurrent shares one Validator between goroutines, as services do.
func TestValidateConcurrent(t *testing.T) {
	v, err := proto.NewValidator()
	if err != nil {
		t.Fatalf("NewValidator: %v", err)
	}
	cases := examples()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Go(func() {
			for schema, list := range cases {
				tc := list[g%len(list)]
				body, err := json.Marshal(tc.body)
				if err != nil {
					errs <- err
					return
				}
				if err := v.Validate(schema, body); (err == nil) != tc.ok {
					errs <- fmt.Errorf("%s/%s: valid=%v, want %v", schema, tc.name, err == nil, tc.ok)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// canonical builds the signed string of the contract from a JSON object, keeping
// numbers as their literal text.
func canonical(t *testing.T, body string) string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	keys := slices.Collect(maps.Keys(m))
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		if k == "sign" {
			continue
		}
		var s string
		switch val := m[k].(type) {
		case nil:
			continue
		case string:
			s = val
		case json.Number:
			s = val.String()
		case bool:
			s = fmt.Sprint(val)
		default:
			t.Fatalf("field %s: nested values are not part of the contract", k)
		}
		if s == "" {
			continue
		}
		parts = append(parts, k+"="+s)
	}
	return strings.Join(parts, "&")
}

func hmacHex(secret, s string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(s))
	return hex.EncodeToString(mac.Sum(nil))
}

// TestReadmeSigningExamples keeps the worked examples of README.md correct.
func TestReadmeSigningExamples(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatalf("read README: %v", err)
	}
	v, err := proto.NewValidator()
	if err != nil {
		t.Fatalf("NewValidator: %v", err)
	}
	tests := []struct {
		schema, body, canonical, sign string
	}{
		{
			schema:    proto.WithdrawRequest,
			body:      `{"request_id":"w-1","to_address":"0xAbCdEf0123456789aBcDeF0123456789AbCdEf01","amount":"12.5","chain":"ETH","symbol":"USDT","callback_url":"","timestamp":1758610297}`,
			canonical: `amount=12.5&chain=ETH&request_id=w-1&symbol=USDT&timestamp=1758610297&to_address=0xAbCdEf0123456789aBcDeF0123456789AbCdEf01`,
			sign:      "201ec62dca54b19b804841e23e7a284e5a3068744a28d57e264c48401ce3c295",
		},
		{
			schema:    proto.TopupReturnRegistered,
			body:      `{"request_id":"t-1","event":"registered","status":1,"chain":"ETH","symbol":"USDT","address":"0x70997970c51812dc3a010c7d01b50e0d17dc79c8","user_id":"u-42","timestamp":1758610300,"sign":"09b6002e7dbb066f1ad3ae6d70ad82c4b17efa8545f68490fbe46464966108de"}`,
			canonical: `address=0x70997970c51812dc3a010c7d01b50e0d17dc79c8&chain=ETH&event=registered&request_id=t-1&status=1&symbol=USDT&timestamp=1758610300&user_id=u-42`,
			sign:      "09b6002e7dbb066f1ad3ae6d70ad82c4b17efa8545f68490fbe46464966108de",
		},
		{
			schema:    proto.ReturnRejected,
			body:      `{"error":"bad_signature","event":"rejected","message":"the sign field does not match the request","request_id":"w-1","sign":"bfeb1b19108a31e4ca1ffb443e31398034ce06ece675cf4ca07f0438a7f90ba6","status":0,"timestamp":1758610300}`,
			canonical: `error=bad_signature&event=rejected&message=the sign field does not match the request&request_id=w-1&status=0&timestamp=1758610300`,
			sign:      "bfeb1b19108a31e4ca1ffb443e31398034ce06ece675cf4ca07f0438a7f90ba6",
		},
	}
	for _, tc := range tests {
		t.Run(tc.schema, func(t *testing.T) {
			for _, s := range []string{tc.body, tc.canonical, tc.sign} {
				if !strings.Contains(string(readme), s) {
					t.Errorf("README.md does not contain %s", s)
				}
			}
			if got := canonical(t, tc.body); got != tc.canonical {
				t.Errorf("canonical = %s, want %s", got, tc.canonical)
			}
			if got := hmacHex("dev-secret", tc.canonical); got != tc.sign {
				t.Errorf("sign = %s, want %s", got, tc.sign)
			}
			body := tc.body
			if !strings.Contains(body, `"sign"`) {
				body = strings.TrimSuffix(body, "}") + `,"sign":"` + tc.sign + `"}`
			}
			if err := v.Validate(tc.schema, []byte(body)); err != nil {
				t.Errorf("example does not validate: %v", err)
			}
		})
	}
}

// TestAsyncAPI checks that asyncapi.yaml parses, that its references resolve, and
// that its queues and routing keys are those of the contract.
func TestAsyncAPI(t *testing.T) {
	doc := readAsyncAPI(t)
	if doc["asyncapi"] != "3.0.0" {
		t.Errorf("asyncapi = %v, want 3.0.0", doc["asyncapi"])
	}

	var refs []string
	collectRefs(doc, &refs)
	referenced := map[string]bool{}
	for _, ref := range refs {
		switch {
		case strings.HasPrefix(ref, "./schemas/"):
			if _, err := os.Stat(filepath.FromSlash(ref)); err != nil {
				t.Errorf("$ref %s: %v", ref, err)
			}
			referenced[strings.TrimSuffix(strings.TrimPrefix(ref, "./schemas/"), ".json")] = true
		case strings.HasPrefix(ref, "#/"):
			if _, ok := resolvePointer(doc, ref[2:]); !ok {
				t.Errorf("$ref %s does not resolve", ref)
			}
		default:
			t.Errorf("unexpected $ref %s", ref)
		}
	}
	for _, name := range proto.SchemaNames() {
		if !referenced[name] {
			t.Errorf("schema %s is not referenced by asyncapi.yaml", name)
		}
	}

	type queue struct{ key, exchange string }
	want := map[string]queue{
		"pay.topup.queue":           {"pay.topup", "pay.exchange"},
		"pay.topup.return.queue":    {"pay.topup.return", "pay.exchange"},
		"pay.withdraw.queue":        {"pay.withdraw", "pay.exchange"},
		"pay.withdraw.return.queue": {"pay.withdraw.return", "pay.exchange"},
		"pay.pay.queue":             {"pay.pay", "pay.exchange"},
		"pay.pay.return.queue":      {"pay.pay.return", "pay.exchange"},
		"pay.order.queue":           {"pay.order", "pay.exchange"},
		"pay.order.return.queue":    {"pay.order.return", "pay.exchange"},
		"pay.dead.queue":            {},
	}
	channels, _ := doc["channels"].(map[string]any)
	got := map[string]queue{}
	for id, ch := range channels {
		ch, _ := ch.(map[string]any)
		addr, _ := ch["address"].(string)
		amqp, ok := resolvePointer(ch, "bindings/amqp")
		if !ok {
			t.Errorf("channel %s has no amqp binding", id)
			continue
		}
		b := amqp.(map[string]any)
		if b["is"] != "queue" {
			t.Errorf("channel %s: is = %v, want queue", id, b["is"])
		}
		if q, _ := b["queue"].(map[string]any); q["name"] != addr || q["durable"] != true {
			t.Errorf("channel %s: queue binding %v, want durable %s", id, q, addr)
		}
		var q queue
		q.key, _ = b["x-routing-key"].(string)
		if ex, ok := b["x-exchange"].(map[string]any); ok {
			q.exchange, _ = ex["name"].(string)
			if ex["type"] != "topic" || ex["durable"] != true {
				t.Errorf("channel %s: exchange %v, want durable topic", id, ex)
			}
		}
		got[addr] = q
	}
	if !maps.Equal(got, want) {
		t.Errorf("channels = %v, want %v", got, want)
	}
}

// TestAsyncAPIRejected checks that every return channel, and every operation
// receiving from it, carries the rejected message: a business system reading
// any flow's returns must expect it.
func TestAsyncAPIRejected(t *testing.T) {
	doc := readAsyncAPI(t)
	const rejected = "#/components/messages/rejected"
	if _, ok := resolvePointer(doc, rejected[2:]); !ok {
		t.Fatalf("%s is not defined", rejected)
	}
	channels, _ := doc["channels"].(map[string]any)
	returnChannels := 0
	for id, ch := range channels {
		ch, _ := ch.(map[string]any)
		if addr, _ := ch["address"].(string); !strings.HasSuffix(addr, ".return.queue") {
			continue
		}
		returnChannels++
		msgs, _ := ch["messages"].(map[string]any)
		if m, _ := msgs["rejected"].(map[string]any); m["$ref"] != rejected {
			t.Errorf("channel %s: messages.rejected = %v, want $ref %s", id, msgs["rejected"], rejected)
		}
		want := "#/channels/" + id + "/messages/rejected"
		receivers := 0
		ops, _ := doc["operations"].(map[string]any)
		for opID, op := range ops {
			op, _ := op.(map[string]any)
			if c, _ := op["channel"].(map[string]any); c["$ref"] != "#/channels/"+id {
				continue
			}
			receivers++
			var refs []string
			collectRefs(op["messages"], &refs)
			if !slices.Contains(refs, want) {
				t.Errorf("operation %s: messages %v lack %s", opID, refs, want)
			}
		}
		if receivers == 0 {
			t.Errorf("channel %s: no operation receives from it", id)
		}
	}
	if returnChannels != 4 {
		t.Errorf("return channels = %d, want one per flow", returnChannels)
	}
}

func readAsyncAPI(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("asyncapi.yaml")
	if err != nil {
		t.Fatalf("read asyncapi.yaml: %v", err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse asyncapi.yaml: %v", err)
	}
	return doc
}

func collectRefs(node any, refs *[]string) {
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			if s, ok := v.(string); ok && k == "$ref" {
				*refs = append(*refs, s)
				continue
			}
			collectRefs(v, refs)
		}
	case []any:
		for _, v := range n {
			collectRefs(v, refs)
		}
	}
}

// resolvePointer follows a slash-separated JSON pointer (without its leading "#/")
// through maps and lists.
func resolvePointer(node any, ptr string) (any, bool) {
	for _, tok := range strings.Split(ptr, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch n := node.(type) {
		case map[string]any:
			v, ok := n[tok]
			if !ok {
				return nil, false
			}
			node = v
		case []any:
			var i int
			if _, err := fmt.Sscan(tok, &i); err != nil || i < 0 || i >= len(n) {
				return nil, false
			}
			node = n[i]
		default:
			return nil, false
		}
	}
	return node, true
}

// TestSchemaExamples checks the examples every schema carries: each is valid,
// signed with the development secret, and together they show both
// development chains (ETH and BSC, whose USDT has 18 decimals).
func TestSchemaExamples(t *testing.T) {
	v, err := proto.NewValidator()
	if err != nil {
		t.Fatalf("NewValidator: %v", err)
	}
	for _, name := range proto.SchemaNames() {
		t.Run(name, func(t *testing.T) {
			raw, err := proto.Schema(name)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Examples []json.RawMessage `json:"examples"`
			}
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			chains := map[string]bool{}
			for _, ex := range doc.Examples {
				if err := v.Validate(name, ex); err != nil {
					t.Errorf("example %s: %v", ex, err)
				}
				var fields struct {
					Chain string `json:"chain"`
					Sign  string `json:"sign"`
				}
				if err := json.Unmarshal(ex, &fields); err != nil {
					t.Fatal(err)
				}
				if want := hmacHex("dev-secret", canonical(t, string(ex))); fields.Sign != want {
					t.Errorf("example %s: sign %s, want %s", ex, fields.Sign, want)
				}
				chains[fields.Chain] = true
			}
			every := chains["*"]
			if name != proto.ReturnRejected && (!chains["ETH"] && !every || !chains["BSC"] && !every) {
				t.Errorf("examples show chains %v, want ETH and BSC (or every chain, *)", slices.Sorted(maps.Keys(chains)))
			}
			if name == proto.ReturnRejected && len(doc.Examples) == 0 {
				t.Error("no example")
			}
		})
	}
}

// TestAsyncAPIExamples checks that every message of asyncapi.yaml carries
// examples, each valid against the message's schema and one of that schema's
// own examples.
func TestAsyncAPIExamples(t *testing.T) {
	v, err := proto.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	doc := readAsyncAPI(t)
	messages, _ := resolvePointer(doc, "components/messages")
	for id, m := range messages.(map[string]any) {
		ref, ok := resolvePointer(m.(map[string]any), "payload/schema/$ref")
		if !ok {
			continue // a dead letter: the bytes of a message the suite could not read
		}
		name := strings.TrimSuffix(strings.TrimPrefix(fmt.Sprint(ref), "./schemas/"), ".json")
		raw, err := proto.Schema(name)
		if err != nil {
			t.Fatalf("message %s: %v", id, err)
		}
		var schema struct {
			Examples []map[string]any `json:"examples"`
		}
		if err := json.Unmarshal(raw, &schema); err != nil {
			t.Fatal(err)
		}
		examples, _ := m.(map[string]any)["examples"].([]any)
		if len(examples) == 0 {
			t.Errorf("message %s has no examples", id)
		}
		for _, ex := range examples {
			payload := ex.(map[string]any)["payload"]
			body, err := json.Marshal(payload)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Validate(name, body); err != nil {
				t.Errorf("message %s example %s: %v", id, body, err)
			}
			var asJSON map[string]any
			if err := json.Unmarshal(body, &asJSON); err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(schema.Examples, func(e map[string]any) bool { return reflect.DeepEqual(e, asJSON) }) {
				t.Errorf("message %s example %s is none of %s's examples", id, body, name)
			}
		}
	}
}
