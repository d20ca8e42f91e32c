package matching

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"paysuite/pkg/db"
	"paysuite/pkg/events"
	"paysuite/services/matcher/internal/store"
)

// AssignedNote is the message of the paid returns of a transfer an operator
// assigned: the business system learns why a payment it may not recognise
// counts, without a field the contract does not have. The operator's reason
// stays in the matcher's records.
const AssignedNote = "transfer assigned to this order by an operator"

// Limits of what an assignment records (the columns of assignments).
const (
	MaxAssignedByLen = 64
	MaxReasonLen     = 500
)

// Why an assignment is refused; callers branch on these with errors.Is.
var (
	ErrUnknownTransfer  = errors.New("unknown unmatched transfer")
	ErrNotConfirmed     = errors.New("transfer not confirmed")
	ErrAlreadyAssigned  = errors.New("transfer already assigned")
	ErrUnknownOrder     = errors.New("unknown order")
	ErrAmbiguousOrder   = errors.New("ambiguous order")
	ErrOrderPaid        = errors.New("order already paid")
	ErrNotPayable       = errors.New("transfer cannot pay this order")
	ErrInvalidOperation = errors.New("invalid assignment")
)

// Assignment is an operator's decision that an unmatched transfer pays an
// order.
type Assignment struct {
	// TransferID is <chain>:<tx_hash>:<log_index>.
	TransferID string
	// Order is the order's request_id or order_id.
	Order string
	// By and Reason say who decided, and why.
	By, Reason string
	// Force assigns to an order already paid: the transfer is then reported
	// as a further (excess) payment of it.
	Force bool
}

// Assigned is what an assignment did.
type Assigned struct {
	RequestID, OrderID string
	// Statuses are the paid statuses reported, in order; Late tells that
	// they say late: true (the order's expiry had passed).
	Statuses []int
	Late     bool
	// State is the order's state after it.
	State string
}

// Assign applies an unmatched, confirmed transfer to the order an operator
// chose, as if the transfer had matched it: the same applyToOrder reports it
// paid (each status once, late when the order's expiry has passed) and
// settles the order, and the transfer's later events are the payment's. The
// assignment is recorded in the same transaction, and a transfer is
// assigned once. Refusals wrap the Err... values above.
func (h *Handler) Assign(ctx context.Context, a Assignment) (*Assigned, error) {
	if err := a.check(); err != nil {
		return nil, err
	}
	var out *Assigned
	var res result
	err := h.Store.DB().WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res, out = result{}, nil
		var err error
		out, err = h.assign(tx, a, &res)
		return err
	})
	if err != nil {
		if db.IsDuplicateKey(err) {
			return nil, fmt.Errorf("%w: %s (by another operator just now)", ErrAlreadyAssigned, a.TransferID)
		}
		return nil, err
	}
	h.Log.Info().Str("transfer_id", a.TransferID).Str("request_id", out.RequestID).Str("by", a.By).
		Bool("forced", a.Force).Ints("statuses", out.Statuses).Str("order_state", out.State).Msg("transfer assigned by an operator")
	if res.published && h.OnCommit != nil {
		h.OnCommit()
	}
	return out, nil
}

func (h *Handler) assign(tx *gorm.DB, a Assignment, res *result) (*Assigned, error) {
	id := a.TransferID
	// The unmatched row's lock orders this against the handler's events of
	// the transfer: whichever comes second sees what the first did.
	un, err := store.LockUnmatched(tx, id)
	if err != nil {
		return nil, err
	}
	if un == nil {
		return nil, fmt.Errorf("%w %s (matcher unmatched lists them)", ErrUnknownTransfer, id)
	}
	prior, err := store.AssignmentOf(tx, id)
	if err != nil {
		return nil, err
	}
	if prior != nil {
		return nil, fmt.Errorf("%w: %s was assigned to order %s by %s at %s (%s)", ErrAlreadyAssigned, id,
			prior.RequestID, prior.By, prior.CreatedAt.UTC().Format("2006-01-02 15:04:05 UTC"), prior.Reason)
	}
	if un.State != store.PaymentConfirmed {
		return nil, fmt.Errorf("%w: %s is %s on chain; only a confirmed transfer can be assigned", ErrNotConfirmed, id, un.State)
	}
	order, err := h.lockOrder(tx, a.Order)
	if err != nil {
		return nil, err
	}
	// A confirmed event as the listener sent it last: an unmatched transfer
	// recorded confirmed was witnessed on the node before it was recorded.
	ev := events.Transfer{Kind: events.KindConfirmed, Chain: un.Chain, Symbol: un.Symbol, Token: un.Token,
		TxHash: un.TxHash, LogIndex: un.LogIndex, BlockNumber: un.BlockNumber, From: un.FromAddress, To: un.ToAddress,
		Amount: un.Amount, Sequence: un.Seq}
	if why := payable(order, ev); why != "" {
		return nil, fmt.Errorf("%w: %s", ErrNotPayable, why)
	}
	if len(ev.Amount) > maxAmountDigits {
		return nil, fmt.Errorf("%w: the amount is too large for any order", ErrNotPayable)
	}
	decimals, ok := h.tokenDecimals(ev.Chain, ev.Symbol)
	if !ok {
		return nil, fmt.Errorf("%w: token %s is not configured on chain %s", ErrNotPayable, ev.Symbol, ev.Chain)
	}
	ev.Decimals = decimals
	if order.State == store.StatePaid && !a.Force {
		return nil, fmt.Errorf("%w: order %s (request %s) is paid; --force assigns the transfer anyway, reported as a further payment",
			ErrOrderPaid, order.OrderID, order.RequestID)
	}
	if err := store.InsertAssignment(tx, store.Assignment{TransferID: id, OrderPK: order.ID, By: a.By, Reason: a.Reason,
		Forced: order.State == store.StatePaid}); err != nil {
		return nil, err
	}
	if err := h.applyToOrder(tx, order, id, ev, AssignedNote, res); err != nil {
		return nil, err
	}
	return &Assigned{RequestID: order.RequestID, OrderID: order.OrderID, Statuses: res.statuses,
		Late: order.PastDue || order.State == store.StateExpired, State: res.state}, nil
}

// lockOrder locks the one order whose request_id or order_id is key.
func (h *Handler) lockOrder(tx *gorm.DB, key string) (*store.Order, error) {
	orders, err := store.LockOrdersByKey(tx, key)
	if err != nil {
		return nil, err
	}
	switch len(orders) {
	case 0:
		return nil, fmt.Errorf("%w: no order has the request_id or order_id %s", ErrUnknownOrder, key)
	case 1:
		return &orders[0], nil
	}
	return nil, fmt.Errorf("%w: %s is the request_id of one order and the order_id of another (requests %s and %s)",
		ErrAmbiguousOrder, key, orders[0].RequestID, orders[1].RequestID)
}

// check refuses an assignment without who and why, or with more than the
// record holds.
func (a Assignment) check() error {
	switch {
	case strings.TrimSpace(a.TransferID) == "" || strings.TrimSpace(a.Order) == "":
		return fmt.Errorf("%w: a transfer and an order are required", ErrInvalidOperation)
	case strings.TrimSpace(a.By) == "":
		return fmt.Errorf("%w: --by (who assigns) is required", ErrInvalidOperation)
	case strings.TrimSpace(a.Reason) == "":
		return fmt.Errorf("%w: --reason (why) is required", ErrInvalidOperation)
	case !utf8.ValidString(a.By) || utf8.RuneCountInString(a.By) > MaxAssignedByLen:
		return fmt.Errorf("%w: --by must be valid text of at most %d characters", ErrInvalidOperation, MaxAssignedByLen)
	case !utf8.ValidString(a.Reason) || utf8.RuneCountInString(a.Reason) > MaxReasonLen:
		return fmt.Errorf("%w: --reason must be valid text of at most %d characters", ErrInvalidOperation, MaxReasonLen)
	}
	return nil
}
