package txsender

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"paysuite/pkg/erc20"
)

// ErrTokensNotMoved is why a token transfer mined with status 1 is not a
// payment: its receipt lacks a Transfer event the call asked for. Tokens that
// return false instead of reverting end this way, having moved nothing.
var ErrTokensNotMoved = errors.New("the token emitted no Transfer event for the amount asked")

// TransferData is the call data of an ERC-20 transfer(to, amount); amount must
// be within 0 < amount <= 2^256-1 (erc20.CheckAmount), since the ABI packer
// would silently wrap a larger one.
func TransferData(to common.Address, amount *big.Int) ([]byte, error) {
	return erc20.TransferCall(to, amount)
}

// tokenTransfer is one Transfer(from, to, amount) event a token call must emit.
type tokenTransfer struct {
	from, to common.Address
	amount   *big.Int
}

// transfersAsked decodes from the send's call data what it asks the token at
// send.To to move out of send.From: one transfer for transfer(to, amount),
// one per recipient for transferBatch(recipients, amounts), and nothing for
// any other transaction (ether, other calls), which has no event to show.
func transfersAsked(send *Send) ([]tokenTransfer, error) {
	if len(send.Data) < 4 {
		return nil, nil
	}
	transfer, batch := erc20.TransferMethod(), erc20.TransferBatchMethod()
	from := common.HexToAddress(send.From)
	sel, args := send.Data[:4], send.Data[4:]
	switch {
	case bytes.Equal(sel, transfer.ID):
		v, err := unpack(transfer, args)
		if err != nil {
			return nil, err
		}
		to, _ := v[0].(common.Address)
		amount, _ := v[1].(*big.Int)
		return []tokenTransfer{{from: from, to: to, amount: amount}}, nil
	case bytes.Equal(sel, batch.ID):
		v, err := unpack(batch, args)
		if err != nil {
			return nil, err
		}
		to, _ := v[0].([]common.Address)
		amounts, _ := v[1].([]*big.Int)
		if len(to) != len(amounts) {
			return nil, fmt.Errorf("transferBatch with %d recipients and %d amounts", len(to), len(amounts))
		}
		out := make([]tokenTransfer, len(to))
		for i := range to {
			out[i] = tokenTransfer{from: from, to: to[i], amount: amounts[i]}
		}
		return out, nil
	}
	return nil, nil
}

// TokensAsked sums the base units of its token (To) that s's call data asks
// to move out of From: zero for a send that moves no tokens.
func (s *Send) TokensAsked() (*big.Int, error) {
	asked, err := transfersAsked(s)
	if err != nil {
		return nil, err
	}
	sum := new(big.Int)
	for _, t := range asked {
		sum.Add(sum, t.amount)
	}
	return sum, nil
}

func unpack(m abi.Method, args []byte) ([]any, error) {
	v, err := m.Inputs.Unpack(args)
	if err != nil || len(v) != 2 {
		return nil, fmt.Errorf("decode %s call data: %v", m.Name, err)
	}
	return v, nil
}

// checkTokensMoved returns nil when the receipt of a mined send holds, for
// every transfer its call data asks for, a Transfer event of its own emitted
// by the token contract (send.To) with that sender, recipient and amount;
// otherwise an error wrapping ErrTokensNotMoved that says what is missing.
// A receipt's status only says that the call did not revert: a token may
// return false and move nothing, and only its event shows that it moved.
func checkTokensMoved(send *Send, rcpt *types.Receipt) error {
	want, err := transfersAsked(send)
	if err != nil {
		// The suite built this data; if it cannot be read back, nothing
		// shows the tokens moved.
		return fmt.Errorf("%w: %v", ErrTokensNotMoved, err)
	}
	token := common.HexToAddress(send.To)
	used := make([]bool, len(rcpt.Logs))
	for _, w := range want {
		found := false
		for i, l := range rcpt.Logs {
			if !used[i] && isTransfer(l, token, w) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			return fmt.Errorf("%w: no Transfer(%s, %s, %s) of token %s in the receipt of %s",
				ErrTokensNotMoved, addrString(w.from), addrString(w.to), w.amount, addrString(token), hashString(rcpt.TxHash))
		}
	}
	return nil
}

// isTransfer reports whether l is the event of transfer w emitted by token.
func isTransfer(l *types.Log, token common.Address, w tokenTransfer) bool {
	return l != nil && l.Address == token && len(l.Topics) == 3 &&
		l.Topics[0] == erc20.TransferEventTopic() &&
		l.Topics[1] == common.BytesToHash(w.from.Bytes()) &&
		l.Topics[2] == common.BytesToHash(w.to.Bytes()) &&
		len(l.Data) == 32 && w.amount != nil && new(big.Int).SetBytes(l.Data).Cmp(w.amount) == 0
}

// settleMined sets the final state of a send whose attempt is mined with its
// confirmations: reverted on status 0; on status 1 confirmed only when the
// receipt shows that the tokens asked for moved (checkTokensMoved), and
// otherwise not moved, with what is missing in LastError.
func (s *Sender) settleMined(cur *Send, rcpt *types.Receipt) {
	if rcpt.Status != types.ReceiptStatusSuccessful {
		cur.State = StateReverted
		return
	}
	if err := checkTokensMoved(cur, rcpt); err != nil {
		msg := truncate(err.Error(), 255)
		cur.State, cur.LastError = StateNotMoved, &msg
		s.log.Error().Str("send", cur.Key).Str("tx_hash", hashString(rcpt.TxHash)).Str("token", cur.To).Err(err).
			Msg("token transfer mined without moving the tokens")
		return
	}
	cur.State = StateConfirmed
}
