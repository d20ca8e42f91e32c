package request

import (
	"context"
	"testing"

	"paysuite/pkg/contract"
	"paysuite/pkg/sign"
	"paysuite/pkg/tokens"
)

// TestPayoutCheck covers the order of the shared checks, order_id where the
// flow has one, and the fields a refused request keeps.
func TestPayoutCheck(t *testing.T) {
	chains := devChains(t)
	to := `"to_address":"0xAbCdEf0123456789aBcDeF0123456789AbCdEf01"`
	tests := []struct {
		name     string
		orderIDs bool
		body     string
		code     string
		units    bool // the amount was read
	}{
		{"withdrawal", false, `{` + to + `,"amount":"1.5"}`, "", true},
		{"payment", true, `{` + to + `,"amount":"1.5","order_id":"o-1"}`, "", true},
		{"payment without order_id", true, `{` + to + `,"amount":"1.5"}`, contract.ErrInvalidRequest, false},
		// order_id is checked before the chain is matched.
		{"order_id before chain", true, `{"chain":"TRON",` + to + `,"amount":"1"}`, contract.ErrInvalidRequest, false},
		{"unknown chain", true, `{"chain":"TRON","order_id":"o",` + to + `,"amount":"1"}`, contract.ErrUnknownChain, false},
		{"chain names are exact", false, `{"chain":"bsc",` + to + `,"amount":"1"}`, contract.ErrUnknownChain, false},
		{"token not on the chain", false, `{"chain":"BSC","symbol":"DAI",` + to + `,"amount":"1"}`, contract.ErrUnknownToken, false},
		{"finer than the chain's token", false, `{"chain":"ETH",` + to + `,"amount":"0.0000001"}`, contract.ErrInvalidAmount, false},
		// callback_url is refused after the token is known.
		{"bad callback", false, `{"symbol":"DOGE","callback_url":"ftp://x",` + to + `,"amount":"1"}`, contract.ErrUnknownToken, false},
		{"bad amount", false, `{` + to + `,"amount":"0"}`, contract.ErrInvalidAmount, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields, err := sign.ParseFields([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			p := &Payouts{Chain: "ETH", Chains: chains, OrderIDs: tt.orderIDs}
			var req Payout
			ref := p.Check(Envelope{Fields: fields, RequestID: "r"}, &req)
			if (ref == nil) != (tt.code == "") || (ref != nil && ref.Code != tt.code) {
				t.Fatalf("refusal %v, want %q", ref, tt.code)
			}
			if (req.Units != nil) != tt.units {
				t.Fatalf("units %v, want read: %v", req.Units, tt.units)
			}
			row := req.Row("r", "sending")
			if tt.units != (row.Amount != nil) || (!tt.units && row.AmountUnits != "0") {
				t.Fatalf("row %+v of %+v", row, req)
			}
		})
	}
}

// TestPayoutAmountsInTheChainsDecimals: an amount is read in the decimals of
// the token on the request's chain (18 for BSC's USDT, 6 for ETH's), exactly.
func TestPayoutAmountsInTheChainsDecimals(t *testing.T) {
	p := &Payouts{Chain: "ETH", Chains: devChains(t)}
	tests := []struct{ chain, amount, units string }{
		{"BSC", "0.000000000000000001", "1"},
		{"BSC", "123456789.123456789012345678", "123456789123456789012345678"},
		{"ETH", "0.000001", "1"},
		{"", "123456789.123456", "123456789123456"},
	}
	for _, tt := range tests {
		body := `{"amount":"` + tt.amount + `","to_address":"0xAbCdEf0123456789aBcDeF0123456789AbCdEf01"`
		if tt.chain != "" { // the default chain otherwise
			body += `,"chain":"` + tt.chain + `"`
		}
		fields, err := sign.ParseFields([]byte(body + "}"))
		if err != nil {
			t.Fatal(err)
		}
		var req Payout
		if ref := p.Check(Envelope{Fields: fields, RequestID: "r"}, &req); ref != nil {
			t.Fatalf("%s %s refused: %v", tt.chain, tt.amount, ref)
		}
		if req.Units.String() != tt.units || req.Row("r", "").Amount == nil || *req.Row("r", "").Amount != tt.amount {
			t.Fatalf("%s %s read as %s units, %v", tt.chain, tt.amount, req.Units, req.Row("r", "").Amount)
		}
	}
}

// devChains are the development chains' tokens: USDT with 6 decimals on
// ETH, with 18 on BSC.
func devChains(t *testing.T) map[string]tokens.List {
	t.Helper()
	eth, err := tokens.Parse(tokens.DevUSDT)
	if err != nil {
		t.Fatal(err)
	}
	bsc, err := tokens.Parse(tokens.DevBSCUSDT)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]tokens.List{"ETH": eth, "BSC": bsc}
}

// TestPayoutRepeat: a repeat gets the final return if there is one, else the
// submitted notice, else nothing.
func TestPayoutRepeat(t *testing.T) {
	tests := []struct {
		stored Stored
		want   string
	}{
		{Stored{RequestID: "r", Final: []byte("f"), Submitted: []byte("s")}, "r:withdraw"},
		{Stored{RequestID: "r", Submitted: []byte("s")}, "r:" + contract.EventSubmitted},
		{Stored{RequestID: "r"}, ""},
	}
	for _, tt := range tests {
		pub := &recorder{}
		p := &Payouts{Publisher: pub, FinalEvent: contract.EventWithdraw}
		if err := p.Repeat(context.Background(), tt.stored); err != nil {
			t.Fatal(err)
		}
		var got string
		if len(pub.msgs) == 1 {
			got = pub.msgs[0].MessageID
		}
		if len(pub.msgs) > 1 || got != tt.want {
			t.Errorf("Repeat(%+v) published %v, want %q", tt.stored, pub.msgs, tt.want)
		}
	}
}
