// Package returnhead holds the fields every return of the contract opens
// with, for the flows' return messages to embed (JSON keeps them first, in
// this order).
package returnhead

// Head says which request a return answers, with which event and status
// and, for a failure, the contract's error code and a message.
type Head struct {
	RequestID string `json:"request_id"`
	Event     string `json:"event"`
	Status    int    `json:"status"`
	Error     string `json:"error,omitempty"`
	Message   string `json:"message,omitempty"`
}
