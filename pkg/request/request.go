// Package request opens the envelope every public request shares: a JSON
// object with a usable request_id, signed by the business system, with a fresh
// timestamp. The flows' own fields are checked by each service.
package request

import (
	"encoding/json"
	"errors"
	"time"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/sign"
)

// Refusal is a request answered with status 0 and the contract's error code,
// and with no other effect.
type Refusal struct {
	Code    string
	Message string
}

func (r Refusal) Error() string { return r.Code + ": " + r.Message }

// Envelope is a request that can be answered: a JSON object with a valid request_id.
type Envelope struct {
	Fields    sign.Fields
	RequestID string
}

// Open parses body. What cannot be answered (not a JSON object, no usable
// request_id) is a poison message for the dead-letter queue.
func Open(body []byte) (Envelope, error) {
	fields, err := sign.ParseFields(body)
	if err != nil {
		return Envelope{}, broker.Poison("not a JSON object")
	}
	var id string
	raw, ok := fields["request_id"]
	if !ok || json.Unmarshal(raw, &id) != nil || !contract.ValidRequestID(id) {
		return Envelope{}, broker.Poison("missing or invalid request_id")
	}
	return Envelope{Fields: fields, RequestID: id}, nil
}

// Authenticate checks the signature, then the timestamp, and returns a
// Refusal when either fails.
func (e Envelope) Authenticate(secret []byte, now time.Time, maxSkew time.Duration) error {
	if err := sign.Verify(secret, e.Fields); err != nil {
		if errors.Is(err, sign.ErrMissingSign) {
			return Refusal{contract.ErrBadSignature, "the request has no sign field"}
		}
		return Refusal{contract.ErrBadSignature, "the sign field does not match the request"}
	}
	if err := sign.CheckTimestamp(e.Fields, now, maxSkew); err != nil {
		return Refusal{contract.ErrStaleTimestamp, "timestamp missing or too far from the suite's clock"}
	}
	return nil
}

// String reads an optional string field; null and "" count as absent. A value
// of another type, or longer than maxLen characters, is an invalid_request.
func (e Envelope) String(name string, maxLen int) (string, error) {
	raw, ok := e.Fields[name]
	if !ok || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", Refusal{contract.ErrInvalidRequest, name + " must be a string"}
	}
	if len([]rune(s)) > maxLen {
		return "", Refusal{contract.ErrInvalidRequest, name + " is too long"}
	}
	return s, nil
}

// Bytes reads an optional string field like String, with the limit counted
// in bytes; ok is false for a value of another type or a longer one, for a
// service that words its own refusal.
func (e Envelope) Bytes(name string, maxBytes int) (s string, ok bool) {
	s, err := e.String(name, maxBytes)
	return s, err == nil && len(s) <= maxBytes
}
