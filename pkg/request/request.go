// Package request is the one way into the suite for a public request: it
// opens the envelope every request shares (a JSON object with a usable
// request_id), refuses what is not a request (a return replayed, a bad
// signature, a stale timestamp) with a "rejected" return, and replays the
// stored returns of a known request. The flows' own fields are checked by
// each service.
package request

import (
	"encoding/json"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/sign"
)

// Refusal is an authenticated request that a flow answers with its own event,
// status 0 and the contract's error code; the flow stores it as the request's
// outcome.
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
