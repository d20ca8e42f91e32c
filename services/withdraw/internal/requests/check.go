package requests

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/contract"
	"paysuite/pkg/money"
	"paysuite/pkg/request"
	"paysuite/pkg/txsender"
	"paysuite/services/withdraw/internal/payouts"
)

// Limits of the request's strings, in bytes as they have always been counted
// here (env.Bytes): a chain of 32 characters but more bytes
// stays an invalid_request rather than an unknown_chain.
const (
	maxNameBytes     = 32 // chain, symbol
	maxCallbackBytes = 2048
	addressBytes     = 42
)

func refuse(code, message string) *request.Refusal {
	return &request.Refusal{Code: code, Message: message}
}

// check validates the fields in the contract's order and fills req. A valid
// callback_url is read first: a refusal on another field is a return of the
// request too, and goes there. An error is the suite's own (a lookup
// failed), not a refusal.
func (h *Handler) check(ctx context.Context, env request.Envelope, req *payouts.Withdrawal) (*request.Refusal, error) {
	cb, cbOK := env.Bytes("callback_url", maxCallbackBytes)
	cbOK = cbOK && validCallback(cb)
	if cbOK {
		req.CallbackURL = cb
	}
	chain, chainOK := env.Bytes("chain", maxNameBytes)
	symbol, symbolOK := env.Bytes("symbol", maxNameBytes)
	if !chainOK {
		return refuse(contract.ErrInvalidRequest, "chain must be a string of 1-32 characters"), nil
	}
	if chain != "" {
		req.Chain = chain
	}
	if !symbolOK {
		return refuse(contract.ErrInvalidRequest, "symbol must be a string of 1-32 characters"), nil
	}
	if symbol != "" {
		req.Symbol = symbol
	}
	if req.Chain != h.Chain {
		return refuse(contract.ErrUnknownChain, "chain "+req.Chain+" is not configured"), nil
	}
	tok, ok := h.Tokens.BySymbol(req.Symbol)
	if !ok {
		return refuse(contract.ErrUnknownToken, "token "+req.Symbol+" is not configured on "+req.Chain), nil
	}
	req.Token, req.Symbol = tok, tok.Symbol
	if !cbOK {
		return refuse(contract.ErrInvalidRequest, "callback_url must be an absolute http(s) URL"), nil
	}
	to, ok := env.Bytes("to_address", addressBytes)
	if !ok || !contract.ValidAddress(to) {
		return refuse(contract.ErrInvalidAddress, "to_address must be 0x followed by 40 hex digits"), nil
	}
	req.To = contract.NormalizeAddress(to)
	amount, err := money.ParseJSON(env.Fields["amount"], tok.Decimals)
	if err != nil {
		return refuse(contract.ErrInvalidAmount, fmt.Sprintf("amount must be a decimal > 0 with at most %d decimals, below 10^%d base units",
			tok.Decimals, money.MaxBaseUnitDigits)), nil
	}
	req.Amount, req.Units = amount, money.ToBaseUnits(amount, tok.Decimals)
	if req.Call, err = txsender.TransferData(common.HexToAddress(req.To), req.Units); err != nil {
		return refuse(contract.ErrInvalidAmount, err.Error()), nil // money.Parse keeps amounts far within a uint256
	}
	from, ok := env.Bytes("from_address", addressBytes)
	if !ok || (from != "" && (!contract.ValidAddress(from) || common.HexToAddress(from) != h.Engine.HotWallet)) {
		return refuse(contract.ErrInvalidAddress, "from_address must be the suite's hot wallet "+strings.ToLower(h.Engine.HotWallet.Hex())+" or absent"), nil
	}
	return h.recipients().Check(ctx, req.Chain, "to_address", common.HexToAddress(req.To))
}

// recipients is the rule of the addresses a withdrawal must not pay.
func (h *Handler) recipients() request.Recipients {
	return request.Recipients{Tokens: h.Tokens.Addresses(), Own: append([]common.Address{h.Engine.HotWallet}, h.SuiteAddresses...),
		Deposit: h.Deposits}
}

func validCallback(s string) bool {
	if s == "" {
		return true
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
