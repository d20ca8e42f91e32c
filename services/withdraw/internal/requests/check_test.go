package requests

import (
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/contract"
	"paysuite/pkg/request"
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
		// Limits count bytes: 11 three-byte characters are too long a chain.
		{"chain over 32 bytes", `{"to_address":"` + to + `","amount":"1","chain":"` + strings.Repeat("€", 11) + `"}`, contract.ErrInvalidRequest},
		{"long callback", `{"to_address":"` + to + `","amount":"1","callback_url":"https://x/` + strings.Repeat("a", 2040) + `"}`, contract.ErrInvalidRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fields, err := sign.ParseFields([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req := withdrawRequest{RequestID: "r", Chain: "ETH", Symbol: "USDT"}
			ref := h.check(request.Envelope{Fields: fields, RequestID: "r"}, &req)
			switch {
			case tc.code == "" && ref != nil:
				t.Fatalf("refused: %v", ref)
			case tc.code != "" && (ref == nil || ref.Code != tc.code):
				t.Fatalf("got %v, want %s", ref, tc.code)
			}
			if tc.code == "" && (req.To != "0xabcdef0123456789abcdef0123456789abcdef01" || req.Units.Sign() <= 0 || req.Symbol != "USDT") {
				t.Fatalf("request: %+v", req)
			}
		})
	}
}
