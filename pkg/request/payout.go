package request

import (
	"context"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/rs/zerolog"
	"github.com/shopspring/decimal"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/money"
	"paysuite/pkg/sign"
	"paysuite/pkg/tokens"
)

// Payouts is the intake of a flow that pays out of the suite's wallets
// (withdraw, pay) and stores its returns with its requests: the gate every
// request goes through, the answer to a repeat, and the fields and
// recipient every payout request is checked for.
type Payouts struct {
	// Returns go to ReturnKey on Exchange; FinalEvent is the event of the
	// flow's final return.
	Publisher  Publisher
	Exchange   string
	ReturnKey  string
	FinalEvent string
	// Chain is the chain of a request that names none; Chains are the
	// tokens configured on each chain the flow serves, by the chain's name.
	Chain  string
	Chains map[string]tokens.List
	// OrderIDs says that the flow's requests carry an order_id (pay's).
	OrderIDs bool
	// Secrets verify requests, the current one first (config SignSecrets);
	// Sealer signs the returns with the current one.
	Secrets      [][]byte
	MaxClockSkew time.Duration
	Sealer       sign.Sealer
	// HotWallet is the flow's own wallet; SuiteAddresses are the suite's
	// other own wallets (the other payout service's hot wallet): like the
	// token contracts, the suite's deposit addresses and the zero address,
	// they are refused as recipients.
	HotWallet      common.Address
	SuiteAddresses []common.Address
	Log            zerolog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Stored is what a flow stored of the returns of a request: the final
// return and the submitted notice, each nil until it was written.
type Stored struct {
	RequestID string
	Final     []byte
	Submitted []byte
}

// Gate is the one way into the flow: a message that is not a correctly
// signed request is answered with a rejected return and has no other effect,
// and a correctly signed repeat with a stale timestamp gets its stored
// returns, which find reads (nil for a request never seen).
func (p *Payouts) Gate(find func(ctx context.Context, requestID string) (*Stored, error)) *Gate {
	return &Gate{
		Secrets: p.Secrets, MaxSkew: p.MaxClockSkew, Now: p.Now,
		Publisher: p.Publisher, Exchange: p.Exchange, ReturnKey: p.ReturnKey, Sealer: p.Sealer,
		Replay: func(ctx context.Context, requestID string) (bool, error) {
			s, err := find(ctx, requestID)
			if err != nil || s == nil {
				return false, err
			}
			return true, p.Repeat(ctx, *s)
		},
		Log: p.Log,
	}
}

// Handle is the broker handler of the flow's request queue: the gate passes
// on what is a request, a repeat gets its stored returns (which find reads),
// and accept gets each authenticated request never seen before.
func (p *Payouts) Handle(ctx context.Context, d broker.Delivery, find func(ctx context.Context, requestID string) (*Stored, error),
	accept func(context.Context, Envelope) error) error {
	g := p.Gate(find)
	return g.Handle(ctx, d, func(ctx context.Context, env Envelope) error {
		if known, err := g.Replay(ctx, env.RequestID); err != nil || known {
			return err
		}
		return accept(ctx, env)
	})
}

// Repeat answers a request_id seen before with what it was answered: the
// final return if there is one, else the submitted notice if there is one.
// Nothing else happens: funds never move twice, and the notifier had each
// return when it was written.
func (p *Payouts) Repeat(ctx context.Context, s Stored) error {
	switch {
	case s.Final != nil:
		return p.Publisher.Publish(ctx, p.Exchange, p.ReturnKey,
			broker.Message{Body: s.Final, MessageID: s.RequestID + ":" + p.FinalEvent})
	case s.Submitted != nil:
		return p.Publisher.Publish(ctx, p.Exchange, p.ReturnKey,
			broker.Message{Body: s.Submitted, MessageID: s.RequestID + ":" + contract.EventSubmitted})
	}
	return nil
}

// Payout is what every payout request holds, as far as Check read it: a
// refused request is stored with the fields read before the refusal.
type Payout struct {
	Chain       string
	Symbol      string
	OrderID     string
	Token       tokens.Token
	To          string
	Amount      decimal.Decimal
	Units       *big.Int // nil until the amount was read
	CallbackURL string
}

// Row is a payout request as a flow stores it: the columns that withdraw's
// and pay's request tables share, which each service's row embeds. Fields
// not read are nil, and AmountUnits is "0" until the amount was read.
type Row struct {
	RequestID   string  `gorm:"column:request_id;primaryKey"`
	Chain       string  `gorm:"column:chain"`
	Symbol      string  `gorm:"column:symbol"`
	Token       *string `gorm:"column:token"`        // lowercase 0x-hex
	Amount      *string `gorm:"column:amount"`       // canonical decimal
	AmountUnits string  `gorm:"column:amount_units"` // base units
	ToAddress   *string `gorm:"column:to_address"`
	CallbackURL *string `gorm:"column:callback_url"`
	State       string  `gorm:"column:state"`
	SendKey     *string `gorm:"column:send_key"`
	Status      *int    `gorm:"column:status"`
	Error       *string `gorm:"column:error"`
	// SubmittedBody and FinalBody are the returns, re-sent byte for byte on repeats.
	SubmittedBody []byte    `gorm:"column:submitted_body"`
	FinalBody     []byte    `gorm:"column:final_body"`
	CreatedAt     time.Time `gorm:"column:created_at"`
}

// Row is p's stored form as the request requestID, in state.
func (p *Payout) Row(requestID, state string) Row {
	r := Row{RequestID: requestID, Chain: p.Chain, Symbol: p.Symbol, AmountUnits: "0", State: state}
	if p.Token.Address != (common.Address{}) {
		t := strings.ToLower(p.Token.Address.Hex())
		r.Token = &t
	}
	if p.Units != nil {
		a := money.Format(p.Amount)
		r.Amount, r.AmountUnits = &a, p.Units.String()
	}
	if p.To != "" {
		to := p.To
		r.ToAddress = &to
	}
	if p.CallbackURL != "" {
		cb := p.CallbackURL
		r.CallbackURL = &cb
	}
	return r
}

// Limits of the request's strings, in bytes as they have always been counted
// (Envelope.Bytes): a chain of 32 characters but more bytes stays an
// invalid_request rather than an unknown_chain.
const (
	maxNameBytes     = 32 // chain, symbol
	maxOrderIDBytes  = 64
	maxCallbackBytes = 2048
	addressBytes     = 42
)

func refuse(code, message string) *Refusal {
	return &Refusal{Code: code, Message: message}
}

// Check reads the fields every payout request shares into req, in the
// contract's order, and refuses the first that is wrong; chain and symbol
// default to the flow's default chain and USDT. A valid callback_url is read first:
// a refusal on another field is a return of the request too, and goes there.
// The flow checks from_address, then the recipient, itself.
func (p *Payouts) Check(env Envelope, req *Payout) *Refusal {
	req.Chain, req.Symbol = p.Chain, "USDT"
	cb, cbOK := env.Bytes("callback_url", maxCallbackBytes)
	cbOK = cbOK && validCallback(cb)
	if cbOK {
		req.CallbackURL = cb
	}
	chain, chainOK := env.Bytes("chain", maxNameBytes)
	symbol, symbolOK := env.Bytes("symbol", maxNameBytes)
	if !chainOK {
		return refuse(contract.ErrInvalidRequest, "chain must be a string of 1-32 characters")
	}
	if chain != "" {
		req.Chain = chain
	}
	if !symbolOK {
		return refuse(contract.ErrInvalidRequest, "symbol must be a string of 1-32 characters")
	}
	if symbol != "" {
		req.Symbol = symbol
	}
	if p.OrderIDs {
		orderID, ok := env.Bytes("order_id", maxOrderIDBytes)
		if !ok || orderID == "" {
			return refuse(contract.ErrInvalidRequest, "order_id must be a string of 1-64 characters")
		}
		req.OrderID = orderID
	}
	list, served := p.Chains[req.Chain]
	if !served {
		return refuse(contract.ErrUnknownChain, "chain "+req.Chain+" is not configured")
	}
	tok, ok := list.BySymbol(req.Symbol)
	if !ok {
		return refuse(contract.ErrUnknownToken, "token "+req.Symbol+" is not configured on "+req.Chain)
	}
	req.Token, req.Symbol = tok, tok.Symbol
	if !cbOK {
		return refuse(contract.ErrInvalidRequest, "callback_url must be an absolute http(s) URL")
	}
	to, ok := env.Bytes("to_address", addressBytes)
	if !ok || !contract.ValidAddress(to) {
		return refuse(contract.ErrInvalidAddress, "to_address must be 0x followed by 40 hex digits")
	}
	req.To = contract.NormalizeAddress(to)
	amount, err := money.ParseJSON(env.Fields["amount"], tok.Decimals)
	if err != nil {
		return refuse(contract.ErrInvalidAmount, fmt.Sprintf("amount must be a decimal > 0 with at most %d decimals, below 10^%d base units",
			tok.Decimals, money.MaxBaseUnitDigits))
	}
	req.Amount, req.Units = amount, money.ToBaseUnits(amount, tok.Decimals)
	return nil
}

// From reads from_address: ok is false when it is not a string of an
// address's length.
func (p *Payouts) From(env Envelope) (from string, ok bool) {
	return env.Bytes("from_address", addressBytes)
}

// CheckRecipient refuses the recipient req.To when the suite must not pay
// it; deposit reports the suite's deposit addresses. An error is the suite's
// own, not a refusal.
func (p *Payouts) CheckRecipient(ctx context.Context, req Payout,
	deposit func(ctx context.Context, chain string, addr common.Address) (bool, error)) (*Refusal, error) {
	r := Recipients{Tokens: p.Chains[req.Chain].Addresses(), Own: append([]common.Address{p.HotWallet}, p.SuiteAddresses...), Deposit: deposit}
	return r.Check(ctx, req.Chain, "to_address", common.HexToAddress(req.To))
}

func validCallback(s string) bool {
	if s == "" {
		return true
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
