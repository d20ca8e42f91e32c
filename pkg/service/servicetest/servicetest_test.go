package servicetest_test

import (
	"testing"
	"time"

	"paysuite/pkg/broker"
	"paysuite/pkg/broker/brokertest"
	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/service/servicetest"
	"paysuite/pkg/topology"
)

// TestReturnsAndWebhooks goes the way a service's test does: a rejected
// return signed and published to the flow's return queue, read back field by
// field, and the sealed webhook of it opened and matched to it.
func TestReturnsAndWebhooks(t *testing.T) {
	secret, other := []byte("servicetest-sign-secret"), []byte("servicetest-other-secret")
	keys, err := events.NewKeys([]byte("servicetest-internal-secret"))
	if err != nil {
		t.Fatal(err)
	}
	names := contract.DefaultNames()
	v := brokertest.NewVhosts(t, "t-servicetest")
	publicTopo, internalTopo := topology.Split(topology.Suite(names))
	public, internal := brokertest.Dial(t, v.Public, publicTopo), brokertest.Dial(t, v.Internal, internalTopo)
	returns := brokertest.Follow(t, public, names.TopupReturnQueue)
	webhooks := brokertest.Follow(t, internal, events.WebhookQueue)

	body := servicetest.Sign(t, secret, map[string]any{"request_id": "r-1", "event": contract.EventRejected,
		"status": contract.StatusFailed, "error": contract.ErrBadSignature, "message": "bad sign"}, time.Now())
	err = public.Publish(t.Context(), names.Exchange, names.TopupReturnKey, broker.Message{Body: body, MessageID: "r-1:rejected:1"})
	if err != nil {
		t.Fatal(err)
	}
	r := servicetest.Next(t, returns, "return")
	if !r.Is("r-1", contract.EventRejected, contract.StatusFailed) || r.Is("r-1", contract.EventRejected, contract.StatusSuccess) ||
		r.Str("message") != "bad sign" || r.Str("status") != "0" || !r.SignedWith(secret) || r.SignedWith(other) {
		t.Fatalf("return %s read as %v", r.Body, r.Fields)
	}
	servicetest.CheckRejected(t, r, "r-1", contract.ErrBadSignature)

	hook, err := keys.Seal(events.WebhookKey, events.Webhook{Flow: contract.FlowTopup, RequestID: "r-1",
		CallbackURL: "https://shop.example/hook", MessageID: r.MessageID, Body: string(r.Body)})
	if err != nil {
		t.Fatal(err)
	}
	if err := internal.Publish(t.Context(), events.Exchange, events.WebhookKey, broker.Message{Body: hook}); err != nil {
		t.Fatal(err)
	}
	servicetest.ExpectWebhook(t, keys, webhooks, contract.FlowTopup, r, "https://shop.example/hook")
}
