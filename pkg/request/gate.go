package request

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/rs/zerolog"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/sign"
)

// Rejection is a message the suite did not accept as a request (contract
// section 3): it is answered with event "rejected" and has no other effect.
// It never speaks for the outcome of its request_id, so it never changes it.
type Rejection struct {
	Code    string
	Message string
	// stale marks a correctly signed message whose timestamp is too old or
	// too new: a known request_id then gets its stored returns instead.
	stale bool
}

func (r Rejection) Error() string { return "rejected: " + r.Code + ": " + r.Message }

// Publisher sends a message and waits for the broker's confirmation.
type Publisher interface {
	Publish(ctx context.Context, exchange, key string, msg broker.Message) error
}

// Gate is what every request of a flow goes through before the flow sees it:
// Admit decides whether a message is a request, Handle answers what is not.
type Gate struct {
	// Secrets verify a request's sign; the first one signs the answers.
	Secrets [][]byte
	MaxSkew time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Returns is where the flow's answers go.
	Publisher Publisher
	Exchange  string
	ReturnKey string
	Sealer    sign.Sealer
	// Replay publishes the stored returns of requestID again and reports
	// whether the request is known; a correctly signed repeat gets them
	// whatever its timestamp.
	Replay func(ctx context.Context, requestID string) (known bool, err error)
	Log    zerolog.Logger
	// Observe counts rejections by code; optional.
	Observe func(code string)
}

// Admit opens body and authenticates it, in this order: a body without a
// usable request_id is a poison message (dead-lettered); one carrying event
// or status is a return, never a request (invalid_request); then the
// signature (bad_signature); then the timestamp (stale_timestamp, which
// Handle answers with the stored returns when the request is known). A
// failure is a Rejection.
func (g *Gate) Admit(body []byte) (Envelope, error) {
	env, err := Open(body)
	if err != nil {
		return env, err
	}
	for _, f := range []string{"event", "status"} {
		if _, ok := env.Fields[f]; ok {
			return env, Rejection{Code: contract.ErrInvalidRequest, Message: "a message carrying " + f + " is a return, never a request"}
		}
	}
	if err := sign.VerifyAny(g.Secrets, env.Fields); err != nil {
		if errors.Is(err, sign.ErrMissingSign) {
			return env, Rejection{Code: contract.ErrBadSignature, Message: "the request has no sign field"}
		}
		return env, Rejection{Code: contract.ErrBadSignature, Message: "the sign field does not match the request"}
	}
	if err := sign.CheckTimestamp(env.Fields, g.now(), g.MaxSkew); err != nil {
		return env, Rejection{Code: contract.ErrStaleTimestamp, Message: "timestamp missing or too far from the suite's clock", stale: true}
	}
	return env, nil
}

// Handle admits d and passes a request to accept; what is not a request is
// answered with a rejected return, and a correctly signed stale repeat of a
// known request_id with that request's stored returns. Errors from accept
// and Replay are returned as they are (the broker retries or dead-letters).
func (g *Gate) Handle(ctx context.Context, d broker.Delivery, accept func(context.Context, Envelope) error) error {
	env, err := g.Admit(d.Body)
	var rej Rejection
	if !errors.As(err, &rej) {
		if err != nil {
			return err
		}
		return accept(ctx, env)
	}
	if rej.stale {
		known, err := g.Replay(ctx, env.RequestID)
		if err != nil || known {
			return err
		}
	}
	return g.Reject(ctx, d, env.RequestID, rej)
}

// rejected is the return that answers a message the suite did not accept.
type rejected struct {
	RequestID string `json:"request_id"`
	Event     string `json:"event"`
	Status    int    `json:"status"`
	Error     string `json:"error"`
	Message   string `json:"message"`
}

// Reject publishes the rejected return for a message with requestID. It
// echoes nothing of the message but its request_id, so the suite never
// signs what a sender chose. Its message_id is derived from the message's
// bytes: the same message redelivered gets the same id, another one another.
func (g *Gate) Reject(ctx context.Context, d broker.Delivery, requestID string, rej Rejection) error {
	g.Log.Info().Str("request_id", requestID).Str("error", rej.Code).Msg("message rejected")
	if g.Observe != nil {
		g.Observe(rej.Code)
	}
	body, err := g.Sealer.Seal(rejected{RequestID: requestID, Event: contract.EventRejected,
		Status: contract.StatusFailed, Error: rej.Code, Message: rej.Message})
	if err != nil {
		return err
	}
	sum := sha256.Sum256(d.Body)
	return g.Publisher.Publish(ctx, g.Exchange, g.ReturnKey, broker.Message{Body: body,
		MessageID: requestID + ":" + contract.EventRejected + ":" + hex.EncodeToString(sum[:8])})
}

func (g *Gate) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}
