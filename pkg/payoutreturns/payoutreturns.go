// Package payoutreturns stores and queues the returns of the flows that pay
// out (withdraw, pay) in the transaction of the change they report: the
// submitted notice once the transfer is broadcast, the final answer's
// outcome once it is final, and the operator alerts beside them.
package payoutreturns

import (
	"fmt"
	"time"

	"gorm.io/gorm"

	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/outbox"
	"paysuite/pkg/returnhead"
	"paysuite/pkg/sign"
	"paysuite/pkg/txsender"
)

// Queue seals a flow's returns and queues them in the outbox.
type Queue struct {
	// Service names the flow's service in its alerts.
	Service string
	Sealer  sign.Sealer
	// Keys seal the alerts and the webhooks of returns for the notifier.
	Keys     events.Keys
	Exchange string
	Flow     contract.Flow
}

// Messages are the outbox messages of the return body of requestID with
// event: the return itself and, with a callback_url, its webhook.
func (q Queue) Messages(requestID string, callbackURL *string, event string, body []byte) ([]outbox.Message, error) {
	return events.Return{RequestID: requestID, CallbackURL: callbackURL,
		MessageID: requestID + ":" + event, Body: body}.Messages(q.Keys, q.Exchange, q.Flow)
}

// Submitted seals notice, the submitted notice of requestID, stores it as
// the submitted_body of row and queues it, all in tx.
func (q Queue) Submitted(tx *gorm.DB, row any, requestID string, callbackURL *string, notice any) error {
	body, err := q.Sealer.Seal(notice)
	if err != nil {
		return err
	}
	if err := tx.Model(row).Update("submitted_body", body).Error; err != nil {
		return fmt.Errorf("store submitted notice of %s: %w", requestID, err)
	}
	msgs, err := q.Messages(requestID, callbackURL, contract.EventSubmitted, body)
	if err != nil {
		return err
	}
	return outbox.Add(tx, msgs...)
}

// Final seals out, the final answer of requestID with event, stores it as
// the final_body of row beside columns (its state, status, error...) and
// returns the body and the messages that queue it.
func (q Queue) Final(tx *gorm.DB, row any, requestID string, callbackURL *string, event string, out any,
	columns map[string]any) ([]byte, []outbox.Message, error) {
	body, err := q.Sealer.Seal(out)
	if err != nil {
		return nil, nil, err
	}
	columns["final_body"] = body
	if err := tx.Model(row).Updates(columns).Error; err != nil {
		return nil, nil, fmt.Errorf("store final answer of %s: %w", requestID, err)
	}
	msgs, err := q.Messages(requestID, callbackURL, event, body)
	if err != nil {
		return nil, nil, err
	}
	return body, msgs, nil
}

// Alert is the outbox message of an operator alert of kind about requestID:
// sealed, because the other services act only on what the suite sent.
func (q Queue) Alert(kind, key, requestID, message string, at time.Time) (outbox.Message, error) {
	return q.Keys.Alert("alert:"+kind+":"+q.Service+":"+requestID,
		events.Alert{Kind: kind, Key: key, Service: q.Service, Message: message, At: at.Unix()})
}

// AddAlert queues the alert Alert makes in tx, through the outbox.
func (q Queue) AddAlert(tx *gorm.DB, kind, key, requestID, message string, at time.Time) error {
	msg, err := q.Alert(kind, key, requestID, message, at)
	if err != nil {
		return err
	}
	return outbox.Add(tx, msg)
}

// Outcome is what the final answer of a payout says of its final transfer.
type Outcome struct {
	Status      int
	Error       string
	Message     string
	TxHash      string // of the mined transaction; "" when none was mined
	BlockNumber *uint64
	Fee         string
}

// NotMovedMessage is the message of the final answer of a payout whose
// transfer was mined without moving the tokens.
const NotMovedMessage = "the transfer was mined but the token moved nothing (no Transfer event: it returned false instead of reverting): no tokens moved"

// Final is the outcome of the final send s of a payout's transfer.
func Final(s *txsender.Send) Outcome {
	var out Outcome
	switch s.State {
	case txsender.StateConfirmed:
		out.Status = contract.StatusSuccess
	case txsender.StateReverted:
		out.Status, out.Error, out.Message = contract.StatusFailed, contract.ErrReverted, "the transfer was mined but reverted: no tokens moved"
	case txsender.StateNotMoved:
		// Mined with status 1, but the token returned false instead of
		// reverting: no Transfer event, nothing moved.
		out.Status, out.Error, out.Message = contract.StatusFailed, contract.ErrReverted, NotMovedMessage
	default:
		out.Status, out.Error, out.Message = contract.StatusFailed, contract.ErrInternal, "the transaction could not be mined: no tokens moved"
	}
	if s.MinedHash != nil {
		out.TxHash, out.BlockNumber, out.Fee = *s.MinedHash, s.BlockNumber, s.FeeETH()
	}
	return out
}

// Lock locks in tx the request that send s is for, with lock (its store's
// Lock), and returns nil when done says a hook has nothing left to do for it
// (its answer is stored already). A send without a request is an error that
// names it as noun.
func Lock[T any](tx *gorm.DB, s *txsender.Send, noun string, lock func(tx *gorm.DB, requestID string) (*T, error),
	done func(*T) bool) (*T, error) {
	row, err := lock(tx, s.Ref)
	if err != nil {
		return nil, err
	}
	if row == nil {
		return nil, fmt.Errorf("send %s: no %s %s", s.Key, noun, s.Ref)
	}
	if done(row) {
		return nil, nil
	}
	return row, nil
}

// Head is the head of the final answer of requestID, with event, that o is.
func (o Outcome) Head(requestID, event string) returnhead.Head {
	return returnhead.Head{RequestID: requestID, Event: event, Status: o.Status, Error: o.Error, Message: o.Message}
}
