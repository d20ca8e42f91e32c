package servicetest

import (
	"encoding/json"
	"strings"
	"testing"

	"paysuite/pkg/events"
)

// Forgery is an internal message forged by one who reached the broker
// without the internal secret, and the reason a service dead-letters it for.
type Forgery struct {
	ID, Exchange, Key string
	Body              []byte
	Reason            string
}

// Seal is v sealed with keys as an internal message for key.
func Seal(t testing.TB, keys events.Keys, key string, v any) []byte {
	t.Helper()
	body, err := keys.Seal(key, v)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// Forgeries are the ways to forge an internal message for key without the
// internal secret: v unsealed, v sealed with a guessed secret, other (a
// genuine message for otherKey) re-sent under key and, unless queue is
// empty, v genuinely sealed but sent straight to queue. Their ids start with
// name; keys are the suite's.
func Forgeries(t testing.TB, keys events.Keys, name, key string, v any, otherKey string, other any, queue string) []Forgery {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	outsider, err := events.NewKeys([]byte("guessed-internal-secret"))
	if err != nil {
		t.Fatal(err)
	}
	out := []Forgery{
		{name + "-unsealed", events.Exchange, key, raw, "not an internal envelope"},
		{name + "-wrong-key", events.Exchange, key, Seal(t, outsider, key, v), "bad mac"},
		{name + "-rekeyed", events.Exchange, key, Seal(t, keys, otherKey, other), "sealed for another routing key"},
	}
	if queue != "" {
		out = append(out, Forgery{name + "-straight-to-queue", "", queue, Seal(t, keys, key, v), "sealed for another routing key"})
	}
	return out
}

// Contradiction is one way a transfer event, sealed correctly as a
// compromised listener would send it, can be false about the chain.
type Contradiction struct {
	Name   string
	Change func(*events.Transfer)
}

// Contradictions are the ways a transfer event can be false about the chain
// in one field: a transaction not on chain, a real transaction with amount
// instead of its own, a real transaction with a log_index it has not.
func Contradictions(amount string) []Contradiction {
	return []Contradiction{
		{"a transaction not on chain", func(e *events.Transfer) { e.TxHash = "0x" + strings.Repeat("5a", 32) }},
		{"a real transaction with a changed amount", func(e *events.Transfer) { e.Amount = amount }},
		{"a real transaction with a changed log_index", func(e *events.Transfer) { e.LogIndex += 7 }},
	}
}
