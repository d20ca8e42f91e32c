// Package webhook delivers returns to their callback URLs following the
// Standard Webhooks convention: signed POSTs, retried with backoff, to
// destinations checked at dial time.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
)

// Header names of the Standard Webhooks convention.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts a secret written as Standard Webhooks writes it:
// "whsec_" and the base64 of the key.
const SecretPrefix = "whsec_"

// ParseSecret returns the HMAC key of a "whsec_<base64>" secret: the decoded
// bytes, as every Standard Webhooks library reads it.
func ParseSecret(s string) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, SecretPrefix)
	if !ok {
		return nil, errors.New("must be whsec_ followed by the base64 of the key")
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(key) == 0 {
		return nil, errors.New("whsec_ must be followed by the base64 of the key")
	}
	return key, nil
}

// Signature is the webhook-signature header value for one attempt: for each
// secret, "v1," + base64(HMAC-SHA256(secret, id + "." + timestamp + "." +
// body)), separated by spaces. During a rotation (the new secret first, then
// the old one) a receiver that holds either verifies the webhook, as the
// convention allows several signatures in one header.
func Signature(secrets [][]byte, id string, timestamp int64, body []byte) string {
	sigs := make([]string, len(secrets))
	for i, secret := range secrets {
		mac := hmac.New(sha256.New, secret)
		mac.Write([]byte(id))
		mac.Write([]byte{'.'})
		mac.Write([]byte(strconv.FormatInt(timestamp, 10)))
		mac.Write([]byte{'.'})
		mac.Write(body)
		sigs[i] = "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	}
	return strings.Join(sigs, " ")
}
