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

// rescanRecorder stores a validated rescan request.
type rescanRecorder interface {
	AddRescan(ctx context.Context, from, to uint64, messageID string) error
}

// rescanHandler validates the operators' rescan requests (events.RescanQueue,
// already authenticated by the guard) and records them for their chain, or
// for the first chain (first) when they name none; a malformed or oversized
// request, or one for a chain not followed, goes to the dead-letter queue.
func rescanHandler(recorders map[string]rescanRecorder, first string, log zerolog.Logger) broker.Handler {
	return func(ctx context.Context, d broker.Delivery) error {
		chain, from, to, err := parseRescan(d.Body)
		if err != nil {
			return broker.Poison(err.Error())
		}
		if chain == "" {
			chain = first
		}
		rec, ok := recorders[chain]
		if !ok {
			return broker.Poison(fmt.Sprintf("rescan request for chain %s, which this listener does not follow", chain))
		}
		if err := rec.AddRescan(ctx, from, to, d.MessageID); err != nil {
			return err
		}
		log.Info().Str("chain", chain).Uint64("from", from).Uint64("to", to).Str("message_id", d.MessageID).Msg("rescan requested")
		return nil
	}
}

// parseRescan decodes and checks a rescan request.
func parseRescan(body []byte) (chain string, from, to uint64, err error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req events.RescanRequest
	if err := dec.Decode(&req); err != nil {
		return "", 0, 0, fmt.Errorf("rescan request is not valid JSON: %w", err)
	}
	if dec.More() {
		return "", 0, 0, fmt.Errorf("rescan request has data after the JSON object")
	}
	if req.From == nil || req.To == nil {
		return "", 0, 0, fmt.Errorf("rescan request needs both from and to")
	}
	from, to = *req.From, *req.To
	if from > to {
		return "", 0, 0, fmt.Errorf("rescan request from %d is above to %d", from, to)
	}
	if to-from+1 > events.MaxRescanBlocks {
		return "", 0, 0, fmt.Errorf("rescan request covers %d blocks, over the limit of %d", to-from+1, events.MaxRescanBlocks)
	}
	return req.Chain, from, to, nil
}
