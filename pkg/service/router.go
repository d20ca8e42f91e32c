package service

import (
	"context"

	"paysuite/pkg/broker"
	"paysuite/pkg/events"
)

// router sends each outbox message through the connection of its virtual
// host: the internal exchange's messages through the internal one, the rest
// through the public one. Each connection keeps its messages in order.
type router struct {
	public, internal *broker.Client
}

// SendBatch sends msgs and returns a wait that gives their outcomes in the
// order of msgs.
func (r router) SendBatch(ctx context.Context, msgs []broker.Routed) (wait func() []error) {
	var pub, internal []broker.Routed
	var pubIdx, internalIdx []int
	for i, m := range msgs {
		if m.Exchange == events.Exchange {
			internal, internalIdx = append(internal, m), append(internalIdx, i)
		} else {
			pub, pubIdx = append(pub, m), append(pubIdx, i)
		}
	}
	waits := make([]func() []error, 0, 2)
	idxs := make([][]int, 0, 2)
	if len(pub) > 0 {
		waits, idxs = append(waits, r.public.SendBatch(ctx, pub)), append(idxs, pubIdx)
	}
	if len(internal) > 0 {
		waits, idxs = append(waits, r.internal.SendBatch(ctx, internal)), append(idxs, internalIdx)
	}
	return func() []error {
		out := make([]error, len(msgs))
		for k, w := range waits {
			for j, err := range w() {
				out[idxs[k][j]] = err
			}
		}
		return out
	}
}
