package events

import (
	"errors"
	"testing"
)

func TestReadAnnouncement(t *testing.T) {
	const a1, a2 = "0x1111111111111111111111111111111111111111", "0x2222222222222222222222222222222222222222"
	tests := []struct {
		name    string
		body    string
		chain   string
		deposit []string
		err     bool
	}{
		{"one address", `{"chain":"ETH","address":"` + a1 + `","index":7}`, "ETH", []string{a1}, false},
		{"list: only allocated ones", `{"chain":"ETH","owner":"topup","addresses":[{"address":"` + a1 + `","index":0},{"address":"` + a2 + `"}]}`, "ETH", []string{a1}, false},
		{"another owner's list", `{"chain":"ETH","owner":"matcher","addresses":[{"address":"` + a1 + `","index":0}]}`, "ETH", nil, false},
		{"another chain", `{"chain":"BSC","address":"` + a1 + `","index":7}`, "ETH", nil, false},
		{"no address", `{"chain":"ETH","addresses":[]}`, "ETH", nil, true},
		{"bad address", `{"chain":"ETH","address":"0x12","index":1}`, "ETH", nil, true},
		{"not JSON", `nope`, "ETH", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ReadAnnouncement([]byte(tt.body))
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if err != nil {
				if !errors.Is(err, ErrNotAnnouncement) && err.Error() != "address announcement without an address" {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			got := a.DepositAddresses(tt.chain)
			if len(got) != len(tt.deposit) {
				t.Fatalf("deposit addresses %v, want %v", got, tt.deposit)
			}
			for i, e := range got {
				if e.Address != tt.deposit[i] || e.Index == nil {
					t.Fatalf("deposit address %d = %+v, want %s with an index", i, e, tt.deposit[i])
				}
			}
		})
	}
}
