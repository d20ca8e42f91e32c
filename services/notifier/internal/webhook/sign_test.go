package webhook_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"paysuite/services/notifier/internal/webhook"
)

func parse(t *testing.T, secret string) []byte {
	t.Helper()
	key, err := webhook.ParseSecret(secret)
	if err != nil {
		t.Fatalf("ParseSecret(%q): %v", secret, err)
	}
	return key
}

// TestSignatureReferenceVector signs the example of the Standard Webhooks
// reference libraries and gets their signature.
func TestSignatureReferenceVector(t *testing.T) {
	key := parse(t, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	got := webhook.Signature([][]byte{key}, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
}

// TestSignatureVerifiesWithStandardWebhooks checks the headers the notifier
// writes with the official Go library, alone and during a rotation, when
// every webhook carries the signatures of the new and the old secret.
func TestSignatureVerifiesWithStandardWebhooks(t *testing.T) {
	const (
		current  = "whsec_Y3VycmVudC13ZWJob29rLWtleS0wMTIzNDU2Nzg5"
		previous = "whsec_cHJldmlvdXMtd2ViaG9vay1rZXktMDEyMzQ1Njc4OQ=="
		stranger = "whsec_c3RyYW5nZXItd2ViaG9vay1rZXktMDEyMzQ1Njc4OQ=="
	)
	body := []byte(`{"request_id":"o-1","event":"created","status":1}`)
	ts := time.Now().Unix()
	headers := func(secrets ...string) http.Header {
		keys := make([][]byte, len(secrets))
		for i, s := range secrets {
			keys[i] = parse(t, s)
		}
		h := http.Header{}
		h.Set(webhook.HeaderID, "msg_1")
		h.Set(webhook.HeaderTimestamp, strconv.FormatInt(ts, 10))
		h.Set(webhook.HeaderSignature, webhook.Signature(keys, "msg_1", ts, body))
		return h
	}
	verifies := func(secret string, h http.Header) bool {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		return wh.Verify(body, h) == nil
	}

	alone := headers(current)
	if !verifies(current, alone) || verifies(previous, alone) || verifies(stranger, alone) {
		t.Errorf("one secret: %s", alone.Get(webhook.HeaderSignature))
	}
	rotating := headers(current, previous)
	sigs := strings.Split(rotating.Get(webhook.HeaderSignature), " ")
	if len(sigs) != 2 || sigs[0] != alone.Get(webhook.HeaderSignature) {
		t.Errorf("rotation header %q, want the current signature then the previous one", rotating.Get(webhook.HeaderSignature))
	}
	if !verifies(current, rotating) || !verifies(previous, rotating) || verifies(stranger, rotating) {
		t.Errorf("rotation: %s", rotating.Get(webhook.HeaderSignature))
	}
	tampered := headers(current, previous)
	tampered.Set(webhook.HeaderTimestamp, strconv.FormatInt(ts+1, 10))
	if verifies(current, tampered) || verifies(previous, tampered) {
		t.Error("a changed timestamp still verifies")
	}
}

func TestParseSecret(t *testing.T) {
	if key := parse(t, "whsec_c2VjcmV0LWJ5dGVz"); string(key) != "secret-bytes" {
		t.Fatalf("key %q", key)
	}
	for _, bad := range []string{"", "secret-bytes", "c2VjcmV0LWJ5dGVz", "whsec_", "whsec_!!", "WHSEC_c2VjcmV0LWJ5dGVz"} {
		if _, err := webhook.ParseSecret(bad); err == nil {
			t.Errorf("ParseSecret(%q) accepted", bad)
		}
	}
}
