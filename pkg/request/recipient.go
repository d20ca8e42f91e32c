package request

import (
	"context"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/contract"
)

// Recipients is the rule a flow that moves funds applies to its recipient
// (contract section 2): tokens sent to the zero address or to a token
// contract are lost, and tokens sent to the suite's own wallets or deposit
// addresses go in a circle (a deposit address would even report them as a
// user's deposit). Such a recipient is refused with invalid_address before
// anything is signed.
type Recipients struct {
	// Tokens are the token contracts configured on the flow's chain.
	Tokens []common.Address
	// Own are the suite's own wallets: the flow's hot wallet and those of
	// the other services.
	Own []common.Address
	// Deposit reports whether addr is a deposit address the suite allocated
	// on chain; nil when the flow knows none.
	Deposit func(ctx context.Context, chain string, addr common.Address) (bool, error)
}

// Check refuses a recipient to which the suite must not pay, naming what it
// is; field names the request's field in the message. An error is the
// suite's own (a deposit address could not be looked up), not the
// requester's: the request is retried, not answered.
func (r Recipients) Check(ctx context.Context, chain, field string, to common.Address) (*Refusal, error) {
	var what string
	switch {
	case to == (common.Address{}):
		what = "the zero address"
	case slices.Contains(r.Tokens, to):
		what = "a token contract"
	case slices.Contains(r.Own, to):
		what = "a wallet of the suite"
	case r.Deposit != nil:
		deposit, err := r.Deposit(ctx, chain, to)
		if err != nil {
			return nil, fmt.Errorf("is %s a deposit address: %w", to.Hex(), err)
		}
		if deposit {
			what = "a deposit address of the suite"
		}
	}
	if what == "" {
		return nil, nil
	}
	return &Refusal{Code: contract.ErrInvalidAddress,
		Message: fmt.Sprintf("%s must not be %s: tokens sent there are lost or come back to the suite", field, what)}, nil
}
