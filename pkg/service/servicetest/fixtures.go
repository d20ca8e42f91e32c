package servicetest

import (
	"encoding/json"
	"net"
	"testing"

	"paysuite/pkg/broker"
	"paysuite/pkg/events"
	"paysuite/pkg/hdwallet"
	"paysuite/pkg/tokens"
)

// MustKeys is the internal messages' keys of secret, for a test's
// package-level fixtures; it panics on a secret NewKeys refuses.
func MustKeys(secret string) events.Keys {
	k, err := events.NewKeys([]byte(secret))
	if err != nil {
		panic(err)
	}
	return k
}

// DevXPub is the development extended public key of the account at path,
// as a service in development mode derives its addresses from.
func DevXPub(t testing.TB, path string) *hdwallet.XPub {
	t.Helper()
	xpub, err := hdwallet.XPubFromMnemonic(hdwallet.DevMnemonic, path)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := hdwallet.ParseXPub(xpub)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// DevTokens is the development chain's token list.
func DevTokens(t testing.TB) tokens.List {
	t.Helper()
	list, err := tokens.Parse(tokens.DevUSDT)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// Delivery is v as JSON in a delivery with routing key key, as a handler
// gets a message, or as the guard hands over an internal message's data.
func Delivery(t testing.TB, key string, v any) broker.Delivery {
	t.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return broker.Delivery{RoutingKey: key, Body: body}
}

// FreeAddr is a loopback address with a port free at the time of the call,
// for a service's HTTP_ADDR when the test must know it before the start.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
