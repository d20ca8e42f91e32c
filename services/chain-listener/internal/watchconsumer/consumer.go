// Package watchconsumer takes address registrations from the services that own
// addresses and records them for the scanner.
package watchconsumer

import (
	"context"
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/rs/zerolog"

	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/services/chain-listener/internal/store"
)

// Recorder stores watched addresses (address to registration) and returns
// the owner on record for each: the first owner of an address keeps it.
type Recorder interface {
	AddWatched(ctx context.Context, regs map[string]store.Registration) (map[string]string, error)
}

var ownerPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// Consumer records the watch requests of the chains the listener follows,
// each with the recorder of its chain.
type Consumer struct {
	// Recorders are the stores of the chains followed, by name.
	Recorders map[string]Recorder
	Log       zerolog.Logger
}

// watchRequest reads either form of a watch request: events.WatchAddress
// (one address) or events.AddressList (several).
type watchRequest struct {
	Chain     string                 `json:"chain"`
	Owner     string                 `json:"owner"`
	Address   string                 `json:"address"`
	FromBlock *uint64                `json:"from_block"`
	Addresses []events.ListedAddress `json:"addresses"`
}

// Handle is the broker handler for the watch queues.
func (c Consumer) Handle(ctx context.Context, d broker.Delivery) error {
	return c.HandleBatch(ctx, []broker.Delivery{d})
}

// HandleBatch records several watch requests with one statement; a bad one
// fails the batch, whose requests are then handled one by one.
func (c Consumer) HandleBatch(ctx context.Context, ds []broker.Delivery) error {
	byChain := map[string]map[string]store.Registration{}
	for _, d := range ds {
		var msg watchRequest
		if err := json.Unmarshal(d.Body, &msg); err != nil {
			return broker.Poison("watch request is not valid JSON: " + err.Error())
		}
		if _, ok := c.Recorders[msg.Chain]; !ok {
			return broker.Poison("watch request for chain " + msg.Chain + ", this listener follows " +
				strings.Join(slices.Sorted(maps.Keys(c.Recorders)), ", "))
		}
		requested := byChain[msg.Chain]
		if requested == nil {
			requested = make(map[string]store.Registration, len(ds))
			byChain[msg.Chain] = requested
		}
		if !ownerPattern.MatchString(msg.Owner) {
			return broker.Poison("watch request with an invalid owner")
		}
		addrs := msg.Addresses
		if msg.Address != "" {
			addrs = append(addrs, events.ListedAddress{Address: msg.Address, FromBlock: msg.FromBlock})
		}
		if len(addrs) == 0 {
			return broker.Poison("watch request without an address")
		}
		for _, a := range addrs {
			if !contract.ValidAddress(a.Address) {
				return broker.Poison("watch request with an invalid address")
			}
			addr := contract.NormalizeAddress(a.Address)
			if _, seen := requested[addr]; !seen {
				requested[addr] = store.Registration{Owner: msg.Owner, FromBlock: a.FromBlock}
			}
		}
	}
	for chain, requested := range byChain {
		recorded, err := c.Recorders[chain].AddWatched(ctx, requested)
		if err != nil {
			return err
		}
		for addr, reg := range requested {
			if recorded[addr] != reg.Owner {
				c.Log.Warn().Str("chain", chain).Str("address", addr).Str("owner", recorded[addr]).Str("requested_by", reg.Owner).
					Msg("address already watched for another owner; keeping the first")
			}
		}
	}
	return nil
}
