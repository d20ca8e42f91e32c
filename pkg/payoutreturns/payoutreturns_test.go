package payoutreturns

import (
	"testing"

	"paysuite/pkg/contract"
	"paysuite/pkg/txsender"
)

func TestFinal(t *testing.T) {
	hash := "0x" + "ab"
	block := uint64(7)
	tests := []struct {
		state  string
		mined  bool
		status int
		code   string
	}{
		{txsender.StateConfirmed, true, contract.StatusSuccess, ""},
		{txsender.StateReverted, true, contract.StatusFailed, contract.ErrReverted},
		{txsender.StateNotMoved, true, contract.StatusFailed, contract.ErrReverted},
		{txsender.StateFailed, false, contract.StatusFailed, contract.ErrInternal},
	}
	for _, tt := range tests {
		s := &txsender.Send{State: tt.state}
		if tt.mined {
			s.MinedHash, s.BlockNumber = &hash, &block
		}
		o := Final(s)
		if o.Status != tt.status || o.Error != tt.code || (o.Error != "") != (o.Message != "") {
			t.Errorf("%s: %+v", tt.state, o)
		}
		if tt.mined != (o.TxHash == hash && o.BlockNumber != nil) {
			t.Errorf("%s: mined transaction %+v", tt.state, o)
		}
	}
	if o := Final(&txsender.Send{State: txsender.StateNotMoved}); o.Message != NotMovedMessage {
		t.Errorf("not moved: %q", o.Message)
	}
}
