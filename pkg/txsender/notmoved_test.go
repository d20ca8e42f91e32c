package txsender_test

import (
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"gorm.io/gorm"

	"paysuite/pkg/erc20"
	"paysuite/pkg/hdwallet"
	"paysuite/pkg/txsender"
)

// transferData is txsender.TransferData of a test amount. It reports a
// failure with Error, not Fatal, so that it may run in any goroutine.
func (e *env) transferData(to common.Address, amount int64) []byte {
	data, err := txsender.TransferData(to, big.NewInt(amount))
	if err != nil {
		e.t.Error(err)
	}
	return data
}

// deployFalseUSDT deploys the non-reverting test token from development
// account 2, minting balance to the test's sending address, and returns it
// once mined.
func (e *env) deployFalseUSDT(balance int64) common.Address {
	e.t.Helper()
	key, _, err := hdwallet.DevAccount(2)
	if err != nil {
		e.t.Fatal(err)
	}
	chainID, err := e.node.ChainID(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	opts := bind.NewKeyedTransactor(key, chainID)
	opts.Context = e.t.Context()
	addr, tx, err := erc20.DeployFalseUSDT(opts, e.node.Client, []common.Address{e.from}, big.NewInt(balance))
	if err != nil {
		e.t.Fatal(err)
	}
	e.mine(1)
	if r, err := e.node.TransactionReceipt(e.t.Context(), tx.Hash()); err != nil || r.Status != types.ReceiptStatusSuccessful {
		e.t.Fatalf("deploy FalseUSDT: receipt %+v, %v", r, err)
	}
	return addr
}

// A mined transfer is a success only when the token's Transfer event says it
// moved: a token that returns false ends not_moved, with why, and its one
// final hook reports that; ether, which has no event, is confirmed as before.
func TestTransferWithoutEventIsNotMoved(t *testing.T) {
	e := newEnv(t)
	token := e.deployFalseUSDT(1_000)
	s := e.sender(testConfig())
	e.runMining(s)
	to := e.recipient()

	tests := []struct {
		key   string
		to    common.Address
		value int64
		data  []byte
		state string
	}{
		{"moved", token, 0, e.transferData(to, 400), txsender.StateConfirmed},
		// More than is left: FalseUSDT returns false, mined with status 1.
		{"short", token, 0, e.transferData(to, 700), txsender.StateNotMoved},
		{"ether", to, 1_000_000, nil, txsender.StateConfirmed},
	}
	for _, tc := range tests {
		err := e.db.WithContext(t.Context()).Transaction(func(tx *gorm.DB) error {
			send, err := s.Submit(t.Context(), tx, txsender.Request{Key: tc.key, Purpose: "test", Ref: tc.key,
				From: e.from, To: tc.to, Value: big.NewInt(tc.value), Data: tc.data})
			if err == nil && send == nil {
				t.Errorf("%s: no send", tc.key)
			}
			return err
		})
		if err != nil {
			t.Fatalf("%s: %v", tc.key, err)
		}
	}
	for _, tc := range tests {
		got := e.waitFinal(tc.key, 30*time.Second)
		if got.State != tc.state || got.ReceiptStatus == nil || *got.ReceiptStatus != 1 || got.MinedHash == nil {
			t.Errorf("%s: final %s (receipt status %v), want %s", tc.key, got.State, got.ReceiptStatus, tc.state)
		}
		if tc.state == txsender.StateNotMoved && (got.LastError == nil || !strings.Contains(*got.LastError, "no Transfer(")) {
			t.Errorf("%s: last error %v, want what is missing", tc.key, got.LastError)
		}
		var finals []string
		if err := e.db.Model(&hookCall{}).Where("send_key = ? AND kind = ?", tc.key, "final").Pluck("state", &finals).Error; err != nil {
			t.Fatal(err)
		}
		if len(finals) != 1 || finals[0] != tc.state {
			t.Errorf("%s: final hooks %v, want one with %s", tc.key, finals, tc.state)
		}
	}
	bal, err := erc20.NewToken(token, e.node.Client).BalanceOf(t.Context(), to)
	if err != nil {
		t.Fatal(err)
	}
	if bal.Int64() != 400 {
		t.Fatalf("recipient holds %s, want the 400 of the one transfer that moved", bal)
	}
}
