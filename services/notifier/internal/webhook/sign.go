// Package webhook delivers returns to their callback URLs following the
// Standard Webhooks convention: signed POSTs, retried with backoff, to
// destinations checked at dial time.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
)

// Header names of the Standard Webhooks convention.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// secretPrefix marks a Standard Webhooks secret: base64 after the prefix.
const secretPrefix = "whsec_"

// ParseSecret returns the HMAC key of a configured secret: the base64-decoded
// part of a "whsec_..." secret, or the bytes of any other string.
func ParseSecret(s string) ([]byte, error) {
	if rest, ok := strings.CutPrefix(s, secretPrefix); ok {
		return base64.StdEncoding.DecodeString(rest)
	}
	return []byte(s), nil
}

// Signature is the webhook-signature header value for one attempt:
// "v1," + base64(HMAC-SHA256(secret, id + "." + timestamp + "." + body)).
func Signature(secret []byte, id string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write([]byte(strconv.FormatInt(timestamp, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// ID is the webhook-id of a return: stable for the same return, whichever
// replica and however often it is seen, and distinct for distinct returns (the
// fields receivers dedupe on, plus the error of a refusal).
func ID(flow, requestID, event string, status int, depositID, txHash, errorCode string) string {
	h := sha256.New()
	for _, part := range []string{flow, requestID, event, strconv.Itoa(status), depositID, txHash, errorCode} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return "msg_" + hex.EncodeToString(h.Sum(nil)[:20])
}
