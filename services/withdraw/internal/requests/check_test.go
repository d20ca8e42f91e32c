package requests

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/contract"
	"paysuite/pkg/sign"
	"paysuite/pkg/tokens"
)

func TestCheck(t *testing.T) {
	list, err := tokens.Parse(tokens.DevUSDT)
	if err != nil {
		t.Fatal(err)
	}
	hot := common.HexToAddress("0x98E503f35D0a019cB0a251aD243a4cCFCF371F46")
	h := &Handler{Chain: "ETH", Tokens: list, HotWallet: hot}
	to := "0xAbCdEf0123456789aBcDeF0123456789AbCdEf01"
	tests := []struct {
		name string
		body string
		code string
	}{
		{"ok", `{"to_address":"` + to + `","amount":"12.5"}`, ""},
		{"ok number amount", `{"to_address":"` + to + `","amount":1.25e1}`, ""},
		{"ok explicit defaults", `{"to_address":"` + to + `","amount":"1","chain":"ETH","symbol":"usdt","from_address":"` + hot.Hex() + `"}`, ""},
		{"ok empty optionals", `{"to_address":"` + to + `","amount":"1","chain":"","symbol":null,"from_address":"","callback_url":""}`, ""},
		{"bad address", `{"to_address":"0xAbCd","amount":"1"}`, contract.ErrInvalidAddress},
		{"missing address", `{"amount":"1"}`, contract.ErrInvalidAddress},
		{"zero", `{"to_address":"` + to + `","amount":"0"}`, contract.ErrInvalidAmount},
		{"negative", `{"to_address":"` + to + `","amount":"-3"}`, contract.ErrInvalidAmount},
		{"over-precise", `{"to_address":"` + to + `","amount":"0.0000001"}`, contract.ErrInvalidAmount},
		{"missing amount", `{"to_address":"` + to + `"}`, contract.ErrInvalidAmount},
		{"unknown chain", `{"to_address":"` + to + `","amount":"1","chain":"BSC"}`, contract.ErrUnknownChain},
		{"unknown token", `{"to_address":"` + to + `","amount":"1","symbol":"USDC"}`, contract.ErrUnknownToken},
		{"chain not a string", `{"to_address":"` + to + `","amount":"1","chain":5}`, contract.ErrInvalidRequest},
		{"foreign from_address", `{"to_address":"` + to + `","amount":"1","from_address":"` + to + `"}`, contract.ErrInvalidAddress},
		{"bad callback", `{"to_address":"` + to + `","amount":"1","callback_url":"ftp://x"}`, contract.ErrInvalidRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fields, err := sign.ParseFields([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req := request{RequestID: "r", Chain: "ETH", Symbol: "USDT"}
			ref := h.check(fields, &req)
			switch {
			case tc.code == "" && ref != nil:
				t.Fatalf("refused: %v", ref)
			case tc.code != "" && (ref == nil || ref.code != tc.code):
				t.Fatalf("got %v, want %s", ref, tc.code)
			}
			if tc.code == "" && (req.To != "0xabcdef0123456789abcdef0123456789abcdef01" || req.Units.Sign() <= 0 || req.Symbol != "USDT") {
				t.Fatalf("request: %+v", req)
			}
		})
	}
}

func TestAuthenticate(t *testing.T) {
	h := &Handler{Secret: []byte("s"), MaxClockSkew: 5 * time.Minute}
	body, err := sign.Seal([]byte("s"), map[string]any{"request_id": "a"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	fields, _ := sign.ParseFields(body)
	if ref := h.authenticate(fields); ref != nil {
		t.Fatalf("refused: %v", ref)
	}
	fields["request_id"] = []byte(`"b"`)
	if ref := h.authenticate(fields); ref == nil || ref.code != contract.ErrBadSignature {
		t.Fatalf("tampered: %v", ref)
	}
	old, _ := sign.Seal([]byte("s"), map[string]any{"request_id": "a", "timestamp": time.Now().Add(-time.Hour).Unix()}, time.Now())
	fields, _ = sign.ParseFields(old)
	if ref := h.authenticate(fields); ref == nil || ref.code != contract.ErrStaleTimestamp {
		t.Fatalf("stale: %v", ref)
	}
}
