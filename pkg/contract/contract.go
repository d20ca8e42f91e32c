// Package contract holds the names, codes and small rules of the public contract, so
// that every service takes them from one place.
package contract

import (
	"fmt"
	"strings"
)

// Return statuses: only StatusSuccess and StatusFailed are final.
const (
	StatusFailed  = 0
	StatusSuccess = 1
	StatusPending = 2
)

// Error codes carried in the "error" field of a failed return; stable snake_case.
const (
	ErrBadSignature        = "bad_signature"
	ErrStaleTimestamp      = "stale_timestamp"
	ErrInvalidAmount       = "invalid_amount"
	ErrInvalidAddress      = "invalid_address"
	ErrUnknownToken        = "unknown_token"
	ErrUnknownChain        = "unknown_chain"
	ErrInvalidRequest      = "invalid_request"
	ErrInsufficientBalance = "insufficient_balance"
	ErrInsufficientGas     = "insufficient_gas"
	ErrReverted            = "reverted"
	ErrReorged             = "reorged"
	ErrExpired             = "expired"
	ErrAddressInUse        = "address_in_use"
	ErrConflict            = "request_conflict"
	// ErrInternal: the suite could not process the request (an operator is alerted).
	ErrInternal = "internal_error"
)

// Events carried in the "event" field of a return.
const (
	EventRegistered = "registered"
	EventDeposit    = "deposit"
	EventSubmitted  = "submitted"
	EventWithdraw   = "withdraw"
	EventPay        = "pay"
	EventCreated    = "created"
	EventPaid       = "paid"
	EventExpired    = "expired"
	// EventRejected answers a message the suite did not accept as a request
	// (section 3); it never speaks for the outcome of its request_id.
	EventRejected = "rejected"
)

// Flow names.
const (
	FlowTopup    = "topup"
	FlowWithdraw = "withdraw"
	FlowPay      = "pay"
	FlowOrder    = "order"
)

// Names are the public exchange and queue names, configurable from the environment
// with the contract's defaults (section 1).
type Names struct {
	Exchange string `env:"AMQP_EXCHANGE" envDefault:"pay.exchange"`

	TopupQueue       string `env:"AMQP_TOPUP_QUEUE" envDefault:"pay.topup.queue"`
	TopupKey         string `env:"AMQP_TOPUP_KEY" envDefault:"pay.topup"`
	TopupReturnQueue string `env:"AMQP_TOPUP_RETURN_QUEUE" envDefault:"pay.topup.return.queue"`
	TopupReturnKey   string `env:"AMQP_TOPUP_RETURN_KEY" envDefault:"pay.topup.return"`

	WithdrawQueue       string `env:"AMQP_WITHDRAW_QUEUE" envDefault:"pay.withdraw.queue"`
	WithdrawKey         string `env:"AMQP_WITHDRAW_KEY" envDefault:"pay.withdraw"`
	WithdrawReturnQueue string `env:"AMQP_WITHDRAW_RETURN_QUEUE" envDefault:"pay.withdraw.return.queue"`
	WithdrawReturnKey   string `env:"AMQP_WITHDRAW_RETURN_KEY" envDefault:"pay.withdraw.return"`

	PayQueue       string `env:"AMQP_PAY_QUEUE" envDefault:"pay.pay.queue"`
	PayKey         string `env:"AMQP_PAY_KEY" envDefault:"pay.pay"`
	PayReturnQueue string `env:"AMQP_PAY_RETURN_QUEUE" envDefault:"pay.pay.return.queue"`
	PayReturnKey   string `env:"AMQP_PAY_RETURN_KEY" envDefault:"pay.pay.return"`

	OrderQueue       string `env:"AMQP_ORDER_QUEUE" envDefault:"pay.order.queue"`
	OrderKey         string `env:"AMQP_ORDER_KEY" envDefault:"pay.order"`
	OrderReturnQueue string `env:"AMQP_ORDER_RETURN_QUEUE" envDefault:"pay.order.return.queue"`
	OrderReturnKey   string `env:"AMQP_ORDER_RETURN_KEY" envDefault:"pay.order.return"`
}

// DefaultNames returns the contract's default names, for code that does not read
// the environment (tests, tools).
func DefaultNames() Names {
	return Names{
		Exchange:   "pay.exchange",
		TopupQueue: "pay.topup.queue", TopupKey: "pay.topup",
		TopupReturnQueue: "pay.topup.return.queue", TopupReturnKey: "pay.topup.return",
		WithdrawQueue: "pay.withdraw.queue", WithdrawKey: "pay.withdraw",
		WithdrawReturnQueue: "pay.withdraw.return.queue", WithdrawReturnKey: "pay.withdraw.return",
		PayQueue: "pay.pay.queue", PayKey: "pay.pay",
		PayReturnQueue: "pay.pay.return.queue", PayReturnKey: "pay.pay.return",
		OrderQueue: "pay.order.queue", OrderKey: "pay.order",
		OrderReturnQueue: "pay.order.return.queue", OrderReturnKey: "pay.order.return",
	}
}

// Validate checks that no name is empty and that no queue is used twice, naming
// the offending variable.
func (n Names) Validate() error {
	vars := []struct{ name, value string }{
		{"AMQP_EXCHANGE", n.Exchange},
		{"AMQP_TOPUP_QUEUE", n.TopupQueue}, {"AMQP_TOPUP_KEY", n.TopupKey},
		{"AMQP_TOPUP_RETURN_QUEUE", n.TopupReturnQueue}, {"AMQP_TOPUP_RETURN_KEY", n.TopupReturnKey},
		{"AMQP_WITHDRAW_QUEUE", n.WithdrawQueue}, {"AMQP_WITHDRAW_KEY", n.WithdrawKey},
		{"AMQP_WITHDRAW_RETURN_QUEUE", n.WithdrawReturnQueue}, {"AMQP_WITHDRAW_RETURN_KEY", n.WithdrawReturnKey},
		{"AMQP_PAY_QUEUE", n.PayQueue}, {"AMQP_PAY_KEY", n.PayKey},
		{"AMQP_PAY_RETURN_QUEUE", n.PayReturnQueue}, {"AMQP_PAY_RETURN_KEY", n.PayReturnKey},
		{"AMQP_ORDER_QUEUE", n.OrderQueue}, {"AMQP_ORDER_KEY", n.OrderKey},
		{"AMQP_ORDER_RETURN_QUEUE", n.OrderReturnQueue}, {"AMQP_ORDER_RETURN_KEY", n.OrderReturnKey},
	}
	queues := map[string]string{}
	for _, v := range vars {
		if strings.TrimSpace(v.value) == "" {
			return fmt.Errorf("%s: must not be empty", v.name)
		}
		if !strings.HasSuffix(v.name, "_QUEUE") {
			continue
		}
		if other, ok := queues[v.value]; ok {
			return fmt.Errorf("%s: queue %q is already used by %s", v.name, v.value, other)
		}
		queues[v.value] = v.name
	}
	return nil
}

// Flow describes one public flow's queues and routing keys.
type Flow struct {
	Name         string
	RequestQueue string
	RequestKey   string
	ReturnQueue  string
	ReturnKey    string
}

// Topup returns the topup flow.
func (n Names) Topup() Flow {
	return Flow{FlowTopup, n.TopupQueue, n.TopupKey, n.TopupReturnQueue, n.TopupReturnKey}
}

// Withdraw returns the withdraw flow.
func (n Names) Withdraw() Flow {
	return Flow{FlowWithdraw, n.WithdrawQueue, n.WithdrawKey, n.WithdrawReturnQueue, n.WithdrawReturnKey}
}

// Pay returns the pay flow.
func (n Names) Pay() Flow {
	return Flow{FlowPay, n.PayQueue, n.PayKey, n.PayReturnQueue, n.PayReturnKey}
}

// Order returns the order flow.
func (n Names) Order() Flow {
	return Flow{FlowOrder, n.OrderQueue, n.OrderKey, n.OrderReturnQueue, n.OrderReturnKey}
}

// All returns every public flow, in the contract's order.
func (n Names) All() []Flow {
	return []Flow{n.Topup(), n.Withdraw(), n.Pay(), n.Order()}
}

// RequestIDPattern is the rule for request_id (contract section 2).
const RequestIDPattern = `^[A-Za-z0-9_.:-]{1,64}$`

// ValidRequestID reports whether s matches RequestIDPattern.
func ValidRequestID(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '_', c == '.', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// ValidAddress reports whether s is "0x" followed by 40 hex digits, in any case.
func ValidAddress(s string) bool {
	if len(s) != 42 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') {
		return false
	}
	return isHex(s[2:])
}

// NormalizeAddress returns the address in the lowercase form used in returns.
func NormalizeAddress(s string) string {
	return strings.ToLower(s)
}

// DepositID identifies one token transfer: "<chain>:<tx_hash>:<log_index>", with the
// transaction hash as lowercase 0x-hex and the log index in decimal.
func DepositID(chain string, txHash string, logIndex uint) string {
	h := strings.ToLower(txHash)
	if !strings.HasPrefix(h, "0x") {
		h = "0x" + h
	}
	return fmt.Sprintf("%s:%s:%d", chain, h, logIndex)
}

func isHex(s string) bool {
	for i := range len(s) {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
