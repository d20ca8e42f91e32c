// Package merchant tells the merchant's chat what happens to orders: created,
// seen, paid, underpaid, expired. The notices are read from the order returns
// the suite publishes, stored, and sent from the table, rate-limited and
// retried, so that neither the order flow nor the notifier's queue waits for
// the chat.
package merchant

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"

	"paysuite/pkg/contract"
)

// Kind is what happened to an order, as a notice tells it.
type Kind string

// The kinds of notices, in the order an order goes through them.
const (
	Created Kind = "created" // the order is open (created, status 1)
	Seen    Kind = "seen"    // a payment is in a block (paid, status 2)
	Paid    Kind = "paid"    // a payment of at least pay_amount is confirmed (paid, status 1)
	// Underpaid: a confirmed payment below pay_amount, or an order that
	// expired with part of its amount paid.
	Underpaid Kind = "underpaid"
	Expired   Kind = "expired" // the order expired with nothing paid
)

// AllKinds are every kind of notice.
var AllKinds = []Kind{Created, Seen, Paid, Underpaid, Expired}

// ParseKinds reads a comma-separated list of kinds; "all" (or nothing) is
// every kind.
func ParseKinds(s string) (map[Kind]bool, error) {
	kinds := map[Kind]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.ToLower(strings.TrimSpace(part))
		switch {
		case part == "":
		case part == "all":
			for _, k := range AllKinds {
				kinds[k] = true
			}
		case known(Kind(part)):
			kinds[Kind(part)] = true
		default:
			return nil, fmt.Errorf("%q is not one of all, created, seen, paid, underpaid, expired", part)
		}
	}
	if len(kinds) == 0 {
		return ParseKinds("all")
	}
	return kinds, nil
}

func known(k Kind) bool {
	for _, a := range AllKinds {
		if a == k {
			return true
		}
	}
	return false
}

// Order is what a notice tells of an order, read from one of its returns.
type Order struct {
	RequestID   string `json:"request_id"`
	OrderID     string `json:"order_id"`
	Event       string `json:"event"`
	Status      *int   `json:"status"`
	Chain       string `json:"chain"`
	Chains      string `json:"chains"`
	Symbol      string `json:"symbol"`
	Amount      string `json:"amount"`
	PayAddress  string `json:"pay_address"`
	PayAmount   string `json:"pay_amount"`
	PaidAmount  string `json:"paid_amount"`
	ExpiresAt   int64  `json:"expires_at"`
	TxHash      string `json:"tx_hash"`
	Late        bool   `json:"late"`
	CheckoutURL string `json:"checkout_url"`
}

// ParseOrder reads an order return.
func ParseOrder(body []byte) (Order, error) {
	var o Order
	if err := json.Unmarshal(body, &o); err != nil {
		return o, fmt.Errorf("order return: %w", err)
	}
	return o, nil
}

// Kind tells which notice the return is worth; ok is false for none: a
// refused order, a payment a reorganisation removed, a rejected message.
func (o Order) Kind() (k Kind, ok bool) {
	switch {
	case o.RequestID == "" || o.Status == nil:
		return "", false
	case o.Event == contract.EventCreated && *o.Status == contract.StatusSuccess:
		return Created, true
	case o.Event == contract.EventPaid && *o.Status == contract.StatusPending:
		return Seen, true
	case o.Event == contract.EventPaid && *o.Status == contract.StatusSuccess:
		if below(o.PaidAmount, o.PayAmount) {
			return Underpaid, true
		}
		return Paid, true
	case o.Event == contract.EventExpired:
		if positive(o.PaidAmount) {
			return Underpaid, true
		}
		return Expired, true
	}
	return "", false
}

// Text is the notice of kind k; link is the order's checkout page, if known.
func (o Order) Text(k Kind, link string) string {
	var b strings.Builder
	id := o.OrderID
	if id == "" {
		id = o.RequestID
	}
	fmt.Fprintf(&b, "[paysuite] Order %s ", id)
	switch k {
	case Created:
		fmt.Fprintf(&b, "created: %s %s on %s.", o.Amount, o.Symbol, o.networks())
		if o.PayAmount != "" && o.PayAmount != o.Amount {
			fmt.Fprintf(&b, " To pay: %s %s.", o.PayAmount, o.Symbol)
		}
		if o.ExpiresAt > 0 {
			fmt.Fprintf(&b, " Expires %s.", time.Unix(o.ExpiresAt, 0).UTC().Format("2006-01-02 15:04 UTC"))
		}
	case Seen:
		fmt.Fprintf(&b, "payment seen: %s %s of %s on %s, waiting for confirmations.", o.PaidAmount, o.Symbol, o.PayAmount, o.networks())
	case Paid:
		fmt.Fprintf(&b, "paid: %s %s of %s confirmed on %s.", o.PaidAmount, o.Symbol, o.PayAmount, o.networks())
	case Underpaid:
		if o.Event == contract.EventExpired {
			fmt.Fprintf(&b, "expired underpaid: %s %s of %s arrived on %s.", o.PaidAmount, o.Symbol, o.PayAmount, o.networks())
		} else {
			fmt.Fprintf(&b, "underpaid: %s %s of %s confirmed on %s.", o.PaidAmount, o.Symbol, o.PayAmount, o.networks())
		}
	case Expired:
		fmt.Fprintf(&b, "expired unpaid: %s %s on %s.", o.Amount, o.Symbol, o.networks())
	}
	if o.Late && o.Event == contract.EventPaid {
		b.WriteString(" The payment came after the order expired.")
	}
	if o.TxHash != "" {
		fmt.Fprintf(&b, "\nTransaction: %s", o.TxHash)
	}
	fmt.Fprintf(&b, "\nRequest: %s", o.RequestID)
	if link != "" {
		fmt.Fprintf(&b, "\nPayment page: %s", link)
	}
	return b.String()
}

// networks names the chain or, for an order payable on several, the chains.
func (o Order) networks() string {
	if o.Chain == "*" && o.Chains != "" {
		return strings.ReplaceAll(o.Chains, ",", ", ")
	}
	return o.Chain
}

// below reports whether decimal a is less than decimal b; false when either
// does not read as a decimal, so that such a payment is not called short.
func below(a, b string) bool {
	x, okX := new(big.Rat).SetString(a)
	y, okY := new(big.Rat).SetString(b)
	return okX && okY && x.Cmp(y) < 0
}

func positive(a string) bool {
	x, ok := new(big.Rat).SetString(a)
	return ok && x.Sign() > 0
}
