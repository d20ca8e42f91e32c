package events

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"paysuite/pkg/broker"
	"paysuite/pkg/outbox"
)

// Every internal message is an envelope that binds its data to the routing
// key it was sent with, under a MAC keyed with INTERNAL_SECRET, which
// business systems never hold: whoever reaches the broker can publish to the
// internal exchange or, through the default exchange, straight to an internal
// queue, but cannot make a message that a service acts on. A genuine message
// republished under another key (to another owner, or straight to a queue,
// whose routing key is the queue's name) fails as a forged one does.
//
// There is no timestamp: the outbox may hold a message for as long as the
// broker is away, and every consumer treats a repeat of a genuine message as
// the redelivery it could be anyway.
type envelope struct {
	Key  string          `json:"key"`
	Data json.RawMessage `json:"data"`
	MAC  string          `json:"mac"`
}

// macDomain separates these MACs from every other use of a secret.
const macDomain = "paysuite.internal.v1"

// Keys authenticate internal messages: the first secret seals, any of them
// opens (during a rotation the new and the old one).
type Keys struct {
	secrets [][]byte
}

// NewKeys returns keys for secrets, the current one first; it refuses none
// or an empty one.
func NewKeys(secrets ...[]byte) (Keys, error) {
	if len(secrets) == 0 {
		return Keys{}, errors.New("internal keys: no secret")
	}
	for _, s := range secrets {
		if len(s) == 0 {
			return Keys{}, errors.New("internal keys: empty secret")
		}
	}
	return Keys{secrets: secrets}, nil
}

func mac(secret []byte, key string, data []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(macDomain))
	h.Write([]byte{0})
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write(data)
	return h.Sum(nil)
}

// Seal renders v as the body of an internal message sent with routing key.
func (k Keys) Seal(key string, v any) ([]byte, error) {
	if len(k.secrets) == 0 {
		return nil, errors.New("seal internal message: no keys")
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("seal internal message %s: %w", key, err)
	}
	quotedKey, err := json.Marshal(key)
	if err != nil {
		return nil, fmt.Errorf("seal internal message %s: %w", key, err)
	}
	// The envelope written by hand: json.Marshal of an envelope would
	// validate and compact data, which json.Marshal has just produced, once
	// more (the listener seals one message per transfer, thousands a block).
	sum := mac(k.secrets[0], key, data)
	out := make([]byte, 0, len(`{"key":,"data":,"mac":""}`)+len(quotedKey)+len(data)+2*len(sum))
	out = append(out, `{"key":`...)
	out = append(out, quotedKey...)
	out = append(out, `,"data":`...)
	out = append(out, data...)
	out = append(out, `,"mac":"`...)
	out = hex.AppendEncode(out, sum)
	return append(out, `"}`...), nil
}

// Message is an outbox message for the internal exchange, sealed for key.
func (k Keys) Message(key, messageID string, v any) (outbox.Message, error) {
	body, err := k.Seal(key, v)
	if err != nil {
		return outbox.Message{}, err
	}
	return outbox.Message{Exchange: Exchange, RoutingKey: key, MessageID: messageID, Body: body}, nil
}

// Alert is the outbox message of the operator alert a, sealed for the
// routing key of its kind: the one way the services raise alerts.
func (k Keys) Alert(messageID string, a Alert) (outbox.Message, error) {
	return k.Message(AlertKey(a.Kind), messageID, a)
}

// Open authenticates a delivery and returns the data it carries. Anything
// else is a poison error (dead-lettered, with the reason): not an envelope,
// sealed for another routing key than the one it came with, or a MAC that
// none of the keys made.
func (k Keys) Open(d broker.Delivery) ([]byte, error) {
	var env envelope
	dec := json.NewDecoder(bytes.NewReader(d.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil || len(env.Data) == 0 {
		return nil, broker.Poison("internal message not authenticated: not an internal envelope")
	}
	if env.Key != d.RoutingKey {
		return nil, broker.Poison("internal message not authenticated: sealed for another routing key")
	}
	got, err := hex.DecodeString(env.MAC)
	if err != nil {
		return nil, broker.Poison("internal message not authenticated: malformed mac")
	}
	for _, s := range k.secrets {
		if hmac.Equal(got, mac(s, env.Key, env.Data)) {
			return env.Data, nil
		}
	}
	return nil, broker.Poison("internal message not authenticated: bad mac")
}

// Publisher sends a message and waits for the broker's confirmation.
type Publisher interface {
	Publish(ctx context.Context, exchange, key string, msg broker.Message) error
}

// Guard checks every delivery of an internal queue before its handler
// sees it: a delivery that fails Open is dead-lettered with the reason and
// raises an operator alert; the handler gets the authenticated data in
// place of the envelope.
type Guard struct {
	Keys Keys
	// MQ consumes the internal queues and publishes the alert about a
	// forged message.
	MQ      Broker
	Service string
	Log     zerolog.Logger
}

// Handler wraps h, the handler of queue.
func (g Guard) Handler(queue string, h broker.Handler) broker.Handler {
	return func(ctx context.Context, d broker.Delivery) error {
		data, err := g.Keys.Open(d)
		if err != nil {
			g.forged(ctx, queue, err)
			return err
		}
		d.Body = data
		return h(ctx, d)
	}
}

// errForgedInBatch fails a batch holding a delivery that fails Open: the
// broker then hands each delivery to the guarded Handler, which
// dead-letters that one alone.
var errForgedInBatch = errors.New("batch holds an unauthenticated internal message")

// BatchHandler wraps bh, the batch handler of queue, as Handler wraps a
// handler.
func (g Guard) BatchHandler(bh broker.BatchHandler) broker.BatchHandler {
	return func(ctx context.Context, ds []broker.Delivery) error {
		opened := make([]broker.Delivery, len(ds))
		for i, d := range ds {
			data, err := g.Keys.Open(d)
			if err != nil {
				return errForgedInBatch
			}
			d.Body = data
			opened[i] = d
		}
		return bh(ctx, opened)
	}
}

// forged logs and alerts about a delivery of queue that failed Open. The
// alert names only the queue and the reason, both the suite's own words:
// nothing a forger wrote reaches the operators' chat.
func (g Guard) forged(ctx context.Context, queue string, err error) {
	reason, _ := broker.IsPoison(err)
	g.Log.Warn().Str("queue", queue).Str("reason", reason).Msg("unauthenticated internal message dead-lettered")
	alert := Alert{Kind: AlertForgedMessage, Key: queue, Service: g.Service, At: time.Now().Unix(),
		Message: fmt.Sprintf("%s dead-lettered a message on %s that is not from the suite (%s): someone with broker access is forging internal messages", g.Service, queue, reason)}
	msg, err := g.Keys.Alert(fmt.Sprintf("alert:%s:%s:%d", AlertForgedMessage, queue, time.Now().UnixNano()), alert)
	if err == nil {
		err = g.MQ.Publish(ctx, msg.Exchange, msg.RoutingKey, broker.Message{Body: msg.Body, MessageID: msg.MessageID})
	}
	if err != nil {
		g.Log.Error().Err(err).Msg("alert about a forged internal message not sent")
	}
}

// Broker is what a Guard needs of the broker client that carries the
// internal messages.
type Broker interface {
	Publisher
	ConsumeBatches(ctx context.Context, queue string, workers int, handler broker.Handler, b broker.Batching) error
}

// Consume consumes an internal queue with every delivery guarded: the one
// way the suite's services consume internal messages. A zero Batching
// consumes one delivery at a time.
func (g Guard) Consume(ctx context.Context, queue string, workers int, h broker.Handler, b broker.Batching) error {
	if b.Handler != nil {
		b.Handler = g.BatchHandler(b.Handler)
	}
	return g.MQ.ConsumeBatches(ctx, queue, workers, g.Handler(queue, h), b)
}
