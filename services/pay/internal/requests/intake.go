package requests

import (
	"context"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/request"
	"paysuite/services/pay/internal/store"
)

// intake is the one way into the flow: a message that is not a correctly
// signed request is answered with a rejected return and has no other effect,
// and a correctly signed repeat with a stale timestamp gets its stored returns.
func (h *Handler) intake() *request.Gate {
	return &request.Gate{
		Secrets: h.Secrets, MaxSkew: h.MaxClockSkew, Now: h.Now,
		Publisher: h.Publisher, Exchange: h.Names.Exchange, ReturnKey: h.Names.PayReturnKey, Sealer: h.Sealer,
		Replay: h.replay, Log: h.Log,
	}
}

// replay publishes the stored returns of requestID again and reports whether
// the request is known.
func (h *Handler) replay(ctx context.Context, requestID string) (bool, error) {
	existing, err := store.Find(h.DB.WithContext(ctx), requestID)
	if err != nil || existing == nil {
		return false, err
	}
	return true, h.repeat(ctx, existing)
}

// repeat answers a request_id seen before with what it was answered: the final
// return if there is one, else the submitted notice if there is one. Nothing
// else happens: funds never move twice, and the notifier had each return
// when it was written.
func (h *Handler) repeat(ctx context.Context, p *store.Payment) error {
	switch {
	case p.FinalBody != nil:
		return h.Publisher.Publish(ctx, h.Names.Exchange, h.Names.PayReturnKey,
			broker.Message{Body: p.FinalBody, MessageID: p.RequestID + ":" + contract.EventPay})
	case p.SubmittedBody != nil:
		return h.Publisher.Publish(ctx, h.Names.Exchange, h.Names.PayReturnKey,
			broker.Message{Body: p.SubmittedBody, MessageID: p.RequestID + ":" + contract.EventSubmitted})
	}
	return nil
}
