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
	list, err := tokens.Parse(tokens.DevUSDT)
	if err != nil {
		t.Fatal(err)
	}
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
		{"order_id before chain", true, `{"chain":"BSC",` + to + `,"amount":"1"}`, contract.ErrInvalidRequest, false},
		{"unknown chain", true, `{"chain":"BSC","order_id":"o",` + to + `,"amount":"1"}`, contract.ErrUnknownChain, false},
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
			p := &Payouts{Chain: "ETH", Tokens: list, OrderIDs: tt.orderIDs}
			var req Payout
			ref := p.Check(Envelope{Fields: fields, RequestID: "r"}, &req)
			if (ref == nil) != (tt.code == "") || (ref != nil && ref.Code != tt.code) {
				t.Fatalf("refusal %v, want %q", ref, tt.code)
			}
			if (req.Units != nil) != tt.units {
				t.Fatalf("units %v, want read: %v", req.Units, tt.units)
			}
			c := req.Columns()
			if tt.units != (c.Amount != nil) || (!tt.units && c.AmountUnits != "0") {
				t.Fatalf("columns %+v of %+v", c, req)
			}
		})
	}
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
