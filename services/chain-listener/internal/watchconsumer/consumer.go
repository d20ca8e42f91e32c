// Package watchconsumer takes address registrations from the services that own
// addresses and records them for the scanner.
package watchconsumer

import (
	"context"
	"encoding/json"
	"regexp"

	"github.com/rs/zerolog"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/events"
)

// Recorder stores a watched address and returns the owner on record.
type Recorder interface {
	AddWatched(ctx context.Context, address, owner string) (string, error)
}

var ownerPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// Handler returns the broker handler for the watch queue of chain.
func Handler(chain string, rec Recorder, log zerolog.Logger) broker.Handler {
	return func(ctx context.Context, d broker.Delivery) error {
		var msg events.WatchAddress
		if err := json.Unmarshal(d.Body, &msg); err != nil {
			return broker.Poison("watch request is not valid JSON: " + err.Error())
		}
		if msg.Chain != chain {
			return broker.Poison("watch request for chain " + msg.Chain + ", this listener follows " + chain)
		}
		if !contract.ValidAddress(msg.Address) {
			return broker.Poison("watch request with an invalid address")
		}
		if !ownerPattern.MatchString(msg.Owner) {
			return broker.Poison("watch request with an invalid owner")
		}
		addr := contract.NormalizeAddress(msg.Address)
		owner, err := rec.AddWatched(ctx, addr, msg.Owner)
		if err != nil {
			return err
		}
		if owner != msg.Owner {
			log.Warn().Str("address", addr).Str("owner", owner).Str("requested_by", msg.Owner).
				Msg("address already watched for another owner; keeping the first")
		}
		return nil
	}
}
