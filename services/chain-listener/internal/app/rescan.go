package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/rs/zerolog"

	"paysuite/pkg/broker"
	"paysuite/pkg/events"
)

// The operator's rescan requests (payctl rescan) reach every listener replica
// through this queue; the replica that takes one records it and the leader's
// scanner works through it.
const (
	RescanKey   = "internal.listener.rescan"
	RescanQueue = "internal.listener.rescan.queue"
	// MaxRescanBlocks bounds one request, so a typo cannot start a scan of the
	// whole chain.
	MaxRescanBlocks = 100000
)

// RescanRequest asks the listener to look again for missed transfers in the
// blocks From..To (inclusive).
type RescanRequest struct {
	From *uint64 `json:"from"`
	To   *uint64 `json:"to"`
}

// withRescanQueue adds the listener's own rescan queue to the suite topology.
func withRescanQueue(topo broker.Topology) broker.Topology {
	topo.Queues = append(topo.Queues, broker.Queue{Name: RescanQueue,
		Bindings: []broker.Binding{{Exchange: events.Exchange, Key: RescanKey}}})
	return topo
}

// rescanRecorder stores a validated rescan request.
type rescanRecorder interface {
	AddRescan(ctx context.Context, from, to uint64, messageID string) error
}

// rescanHandler validates rescan requests and records them; a malformed or
// oversized request goes to the dead-letter queue.
func rescanHandler(rec rescanRecorder, log zerolog.Logger) broker.Handler {
	return func(ctx context.Context, d broker.Delivery) error {
		from, to, err := parseRescan(d.Body)
		if err != nil {
			return broker.Poison(err.Error())
		}
		if err := rec.AddRescan(ctx, from, to, d.MessageID); err != nil {
			return err
		}
		log.Info().Uint64("from", from).Uint64("to", to).Str("message_id", d.MessageID).Msg("rescan requested")
		return nil
	}
}

// parseRescan decodes and checks a rescan request.
func parseRescan(body []byte) (from, to uint64, err error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req RescanRequest
	if err := dec.Decode(&req); err != nil {
		return 0, 0, fmt.Errorf("rescan request is not valid JSON: %w", err)
	}
	if dec.More() {
		return 0, 0, fmt.Errorf("rescan request has data after the JSON object")
	}
	if req.From == nil || req.To == nil {
		return 0, 0, fmt.Errorf("rescan request needs both from and to")
	}
	from, to = *req.From, *req.To
	if from > to {
		return 0, 0, fmt.Errorf("rescan request from %d is above to %d", from, to)
	}
	if to-from+1 > MaxRescanBlocks {
		return 0, 0, fmt.Errorf("rescan request covers %d blocks, over the limit of %d", to-from+1, MaxRescanBlocks)
	}
	return from, to, nil
}
