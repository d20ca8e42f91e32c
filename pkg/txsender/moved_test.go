package txsender

import (
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"paysuite/pkg/erc20"
)

func TestCheckTokensMoved(t *testing.T) {
	token := common.HexToAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3")
	other := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	from := common.HexToAddress("0x00000000000000000000000000000000000000f0")
	to := common.HexToAddress("0x0000000000000000000000000000000000000001")
	to2 := common.HexToAddress("0x0000000000000000000000000000000000000002")
	transferLog := func(emitter, from, to common.Address, amount int64) *types.Log {
		return &types.Log{Address: emitter, Topics: []common.Hash{erc20.TransferEventTopic(),
			common.BytesToHash(from.Bytes()), common.BytesToHash(to.Bytes())},
			Data: common.LeftPadBytes(big.NewInt(amount).Bytes(), 32)}
	}
	one, err := TransferData(to, big.NewInt(100))
	if err != nil {
		t.Fatal(err)
	}
	batch, err := erc20.TransferBatchCall([]common.Address{to, to2, to}, []*big.Int{big.NewInt(100), big.NewInt(7), big.NewInt(100)})
	if err != nil {
		t.Fatal(err)
	}
	approval := erc20.NewTestUSDT().PackApprove(to, big.NewInt(100))
	tests := []struct {
		name  string
		data  []byte
		logs  []*types.Log
		moved bool
	}{
		{"transfer with its event", one, []*types.Log{transferLog(token, from, to, 100)}, true},
		{"transfer among other events", one, []*types.Log{transferLog(other, from, to, 100), transferLog(token, from, to2, 5), transferLog(token, from, to, 100)}, true},
		{"no event at all (the token returned false)", one, nil, false},
		{"wrong amount", one, []*types.Log{transferLog(token, from, to, 99)}, false},
		{"wrong recipient", one, []*types.Log{transferLog(token, from, to2, 100)}, false},
		{"wrong sender", one, []*types.Log{transferLog(token, to2, to, 100)}, false},
		{"event of another contract", one, []*types.Log{transferLog(other, from, to, 100)}, false},
		{"another event of the token", one, []*types.Log{{Address: token, Topics: []common.Hash{{1},
			common.BytesToHash(from.Bytes()), common.BytesToHash(to.Bytes())}, Data: common.LeftPadBytes([]byte{100}, 32)}}, false},
		{"batch with every event", batch, []*types.Log{transferLog(token, from, to, 100), transferLog(token, from, to2, 7), transferLog(token, from, to, 100)}, true},
		{"batch with one event shared by two transfers", batch, []*types.Log{transferLog(token, from, to, 100), transferLog(token, from, to2, 7)}, false},
		{"batch missing a recipient", batch, []*types.Log{transferLog(token, from, to, 100), transferLog(token, from, to, 100)}, false},
		{"ether sent, no call", nil, nil, true},
		{"another call of the token", approval, nil, true},
		{"transfer call data cut short", one[:20], []*types.Log{transferLog(token, from, to, 100)}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			send := &Send{From: addrString(from), To: addrString(token), Data: tc.data}
			rcpt := &types.Receipt{Status: types.ReceiptStatusSuccessful, Logs: tc.logs, TxHash: common.Hash{9}}
			err := checkTokensMoved(send, rcpt)
			if tc.moved != (err == nil) {
				t.Fatalf("checkTokensMoved = %v, want moved %v", err, tc.moved)
			}
			if err != nil && !errors.Is(err, ErrTokensNotMoved) {
				t.Fatalf("error %v does not wrap ErrTokensNotMoved", err)
			}
		})
	}
}
