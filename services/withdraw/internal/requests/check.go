package requests

import (
	"context"
	"strings"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/contract"
	"paysuite/pkg/request"
	"paysuite/pkg/txsender"
	"paysuite/services/withdraw/internal/payouts"
)

// check validates the fields in the contract's order and fills w: the fields
// every payout request shares (request.Payouts.Check), then from_address,
// which may only name the hot wallet, then the recipient. An error is the
// suite's own (a lookup failed), not a refusal.
func (h *Handler) check(ctx context.Context, env request.Envelope, w *payouts.Withdrawal) (*request.Refusal, error) {
	if ref := h.Intake.Check(env, &w.Payout); ref != nil {
		return ref, nil
	}
	var err error
	if w.Call, err = txsender.TransferData(common.HexToAddress(w.To), w.Units); err != nil {
		// money.Parse keeps amounts far within a uint256.
		return &request.Refusal{Code: contract.ErrInvalidAmount, Message: err.Error()}, nil
	}
	hot := h.Intake.HotWallet
	from, ok := h.Intake.From(env)
	if !ok || (from != "" && (!contract.ValidAddress(from) || common.HexToAddress(from) != hot)) {
		return &request.Refusal{Code: contract.ErrInvalidAddress,
			Message: "from_address must be the suite's hot wallet " + strings.ToLower(hot.Hex()) + " or absent"}, nil
	}
	return h.Intake.CheckRecipient(ctx, w.Payout, h.Deposits)
}
