package witness

import (
	"fmt"
	"time"

	"paysuite/pkg/events"
	"paysuite/pkg/outbox"
)

// AlertNotOnChain is the kind of the operator alert raised when the chain
// contradicts a transfer event.
const AlertNotOnChain = "transfer_not_on_chain"

// Refuted is a transfer the chain contradicts: it is never credited.
type Refuted struct {
	// Transfer is the transfer's id, chain:tx_hash:log_index.
	Transfer string
	Reason   string
}

func (r *Refuted) Error() string {
	return "transfer " + r.Transfer + " is not on chain as claimed: " + r.Reason
}

// AlertMessage is the sealed outbox message of the alert service raises
// about r, carried by the event of sequence seq: a redelivery of that event
// raises it under the same message id.
func (r *Refuted) AlertMessage(keys events.Keys, service string, seq uint64, at time.Time) (outbox.Message, error) {
	a := r.Alert(service, at)
	return keys.Alert(fmt.Sprintf("alert:%s:%s:%d", a.Kind, r.Transfer, seq), a)
}

// Alert is the operator alert service raises about r. Its key is the
// service: one incident is a source of false transfer events, however many
// it sends.
func (r *Refuted) Alert(service string, at time.Time) events.Alert {
	return events.Alert{Kind: AlertNotOnChain, Key: service, Service: service, At: at.Unix(),
		Message: fmt.Sprintf("%s dead-lettered a transfer event the chain contradicts, and credited nothing: %s. "+
			"Something that holds INTERNAL_SECRET (the chain-listener?) reports transfers that did not happen.", service, r.Error())}
}
