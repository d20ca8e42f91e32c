package requests

import (
	"context"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/contract"
	"paysuite/pkg/request"
	"paysuite/pkg/sign"
	"paysuite/pkg/tokens"
	"paysuite/services/withdraw/internal/payouts"
)

func TestCheck(t *testing.T) {
	list, err := tokens.Parse(tokens.DevUSDT)
	if err != nil {
		t.Fatal(err)
	}
	hot := common.HexToAddress("0x98E503f35D0a019cB0a251aD243a4cCFCF371F46")
	payHot := "0x00000000000000000000000000000000000000Aa"
	deposit := "0x00000000000000000000000000000000000000d1"
	h := &Handler{Intake: request.Payouts{Chain: "ETH", Chains: map[string]tokens.List{"ETH": list}, HotWallet: hot, SuiteAddresses: []common.Address{common.HexToAddress(payHot)}},
		Deposits: func(_ context.Context, chain string, addr common.Address) (bool, error) {
			return chain == "ETH" && addr == common.HexToAddress(deposit), nil
		}}
	to := "0xAbCdEf0123456789aBcDeF0123456789AbCdEf01"
	twoTo256 := "115792089237316195423570985008687907853269984665640564039457.584007913129639936"
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
		{"huge exponent", `{"to_address":"` + to + `","amount":"1e70"}`, contract.ErrInvalidAmount},
		{"huge exponent number", `{"to_address":"` + to + `","amount":1e999999999}`, contract.ErrInvalidAmount},
		{"2^256 base units", `{"to_address":"` + to + `","amount":"` + twoTo256 + `"}`, contract.ErrInvalidAmount},
		{"beyond the column", `{"to_address":"` + to + `","amount":"1` + strings.Repeat("0", 59) + `"}`, contract.ErrInvalidAmount},
		{"largest amount", `{"to_address":"` + to + `","amount":"` + strings.Repeat("9", 59) + `.999999"}`, ""},
		{"zero address", `{"to_address":"0x0000000000000000000000000000000000000000","amount":"1"}`, contract.ErrInvalidAddress},
		{"token contract", `{"to_address":"` + strings.ToLower(list[0].Address.Hex()) + `","amount":"1"}`, contract.ErrInvalidAddress},
		{"own hot wallet", `{"to_address":"` + hot.Hex() + `","amount":"1"}`, contract.ErrInvalidAddress},
		{"pay's hot wallet", `{"to_address":"` + payHot + `","amount":"1"}`, contract.ErrInvalidAddress},
		{"deposit address", `{"to_address":"` + deposit + `","amount":"1"}`, contract.ErrInvalidAddress},
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
			req := payouts.Withdrawal{RequestID: "r"}
			ref, err := h.check(t.Context(), request.Envelope{Fields: fields, RequestID: "r"}, &req)
			if err != nil {
				t.Fatal(err)
			}
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
