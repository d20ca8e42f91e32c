package checkout

import (
	"context"
	"fmt"
	"math/big"
	"strings"

	"paysuite/pkg/money"
	"paysuite/services/matcher/internal/matching"
	"paysuite/services/matcher/internal/returns"
	"paysuite/services/matcher/internal/store"
)

// States of an order as its view shows it.
const (
	// StateWaiting: open, nothing seen yet (or less than the payable amount
	// confirmed and nothing pending).
	StateWaiting = "waiting"
	// StateSeen: open, a timely matching transfer seen but not yet confirmed.
	StateSeen = "seen"
	// StatePaid: covered by confirmed, timely payments.
	StatePaid = "paid"
	// StatePartial: open, confirmed payments below the payable amount.
	StatePartial = "partial"
	// StateExpired: expired without full payment.
	StateExpired = "expired"
)

// View is an order as its payer and the shop see it: what to pay, where, on
// which networks, and how far it got. GET /v1/orders/{request_id} answers it
// sealed, the checkout page shows it.
type View struct {
	RequestID string `json:"request_id"`
	OrderID   string `json:"order_id"`
	// State is one of the State constants.
	State  string `json:"state"`
	Amount string `json:"amount"`
	Symbol string `json:"symbol"`
	// PayAmount is exactly what to send; PaidAmount what timely, confirmed
	// payments brought, in tokens.
	PayAmount  string `json:"pay_amount"`
	PaidAmount string `json:"paid_amount"`
	// ExpiresAt is in unix seconds; SecondsLeft is 0 once it passed or the
	// order is closed.
	ExpiresAt   int64  `json:"expires_at"`
	SecondsLeft int64  `json:"seconds_left"`
	CheckoutURL string `json:"checkout_url,omitempty"`
	// Networks are the chains the order is payable on, in configuration
	// order: the payer picks one when there are several.
	Networks []Network `json:"networks"`
}

// Network is one chain an order is payable on, with what a wallet needs to
// pay there.
type Network struct {
	Chain   string `json:"chain"`
	ChainID uint64 `json:"chain_id"`
	// Token is the token contract's address, lowercase.
	Token      string `json:"token"`
	Symbol     string `json:"symbol"`
	Decimals   int32  `json:"decimals"`
	PayAddress string `json:"pay_address"`
	PayAmount  string `json:"pay_amount"`
	// BaseUnits is PayAmount in the token's base units on this chain.
	BaseUnits string `json:"base_units"`
	// URI is the EIP-681 payment request for a wallet (and the QR code).
	URI string `json:"uri"`
}

// viewByToken is the view of the order whose checkout token is token, or
// nil when there is none.
func (s *Server) viewByToken(ctx context.Context, token string) (*View, error) {
	o, err := s.store.CheckoutByToken(ctx, token)
	if err != nil || o == nil {
		return nil, err
	}
	v := s.view(o)
	return &v, nil
}

// viewByRequestID is the view of the order of requestID, or nil when there
// is none.
func (s *Server) viewByRequestID(ctx context.Context, requestID string) (*View, error) {
	o, err := s.store.CheckoutByRequestID(ctx, requestID)
	if err != nil || o == nil {
		return nil, err
	}
	v := s.view(o)
	return &v, nil
}

// view renders o at the server's clock.
func (s *Server) view(o *store.CheckoutOrder) View {
	payAmount := matching.Amount(o.PayAmount, o.Decimals)
	confirmed := matching.TimelySum(o.Payments, true)
	v := View{
		RequestID: o.RequestID, OrderID: o.OrderID, State: state(o), Amount: matching.FormatBase(o.Amount, o.Decimals),
		Symbol: o.Symbol, PayAmount: money.Format(payAmount), PaidAmount: money.Format(confirmed),
		ExpiresAt: o.ExpiresAt, CheckoutURL: returns.CheckoutURL(s.publicURL, o.Token), Networks: []Network{},
	}
	if v.State == StateWaiting || v.State == StateSeen || v.State == StatePartial {
		v.SecondsLeft = max(0, o.ExpiresAt-s.now().Unix())
	}
	base, _ := new(big.Int).SetString(o.PayAmount, 10)
	for _, name := range o.OfferedChains() {
		n, ok := s.network(name, o, base)
		if ok {
			v.Networks = append(v.Networks, n)
		}
	}
	return v
}

// network is chain as a network of o, whose payable amount is base units
// of o's decimals; ok is false when the chain or its token is no longer
// configured.
func (s *Server) network(chain string, o *store.CheckoutOrder, base *big.Int) (Network, bool) {
	ch, ok := s.chains[chain]
	if !ok || base == nil {
		return Network{}, false
	}
	tok, ok := ch.Tokens.BySymbol(o.Symbol)
	if !ok || tok.Decimals < o.Decimals {
		return Network{}, false
	}
	units := store.Rescale(base, o.Decimals, tok.Decimals).String()
	token := strings.ToLower(tok.Address.Hex())
	return Network{
		Chain: chain, ChainID: ch.ChainID, Token: token, Symbol: tok.Symbol, Decimals: tok.Decimals,
		PayAddress: o.PayAddress, PayAmount: matching.FormatBase(o.PayAmount, o.Decimals), BaseUnits: units,
		URI: fmt.Sprintf("ethereum:%s@%d/transfer?address=%s&uint256=%s", token, ch.ChainID, o.PayAddress, units),
	}, true
}

// state is the view's state of o, from the matcher's own: closed orders are
// paid or expired; an open one is seen while a timely payment waits for
// confirmation, expired once past due with nothing pending (the expirer
// closes it at its next turn), partial when some but not all of it is
// confirmed, otherwise waiting.
func state(o *store.CheckoutOrder) string {
	switch o.State {
	case store.StatePaid:
		return StatePaid
	case store.StateExpired:
		return StateExpired
	}
	pending := false
	for _, p := range o.Payments {
		if !p.Late && p.State == store.PaymentSeen {
			pending = true
		}
	}
	switch {
	case pending:
		return StateSeen
	case o.PastDue:
		return StateExpired
	case matching.TimelySum(o.Payments, true).IsPositive():
		return StatePartial
	}
	return StateWaiting
}
