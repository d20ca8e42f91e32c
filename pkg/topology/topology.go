// Package topology lists the exchanges and queues every service declares at start,
// so that no message is unroutable whichever service starts first.
package topology

import (
	"paysuite/pkg/broker"
	"paysuite/pkg/contract"
	"paysuite/pkg/events"
)

// Suite is the public topology of the contract plus the internal queues between services.
func Suite(names contract.Names) broker.Topology {
	topo := broker.Topology{Exchanges: []broker.Exchange{
		{Name: names.Exchange, Kind: "topic"},
		{Name: events.Exchange, Kind: "topic"},
	}}
	for _, f := range names.All() {
		topo.Queues = append(topo.Queues,
			broker.Queue{Name: f.RequestQueue, Bindings: []broker.Binding{{Exchange: names.Exchange, Key: f.RequestKey}}},
			broker.Queue{Name: f.ReturnQueue, Bindings: []broker.Binding{{Exchange: names.Exchange, Key: f.ReturnKey}}},
		)
	}
	topo.Queues = append(topo.Queues, broker.Queue{
		Name: events.WatchQueue, Bindings: []broker.Binding{{Exchange: events.Exchange, Key: events.WatchKey}},
	})
	topo.Queues = append(topo.Queues, broker.Queue{
		Name: events.WatchListQueue, Bindings: []broker.Binding{{Exchange: events.Exchange, Key: events.AddressListKey}},
	})
	topo.Queues = append(topo.Queues, broker.Queue{
		Name: events.AddressQueue(events.OwnerPay), Bindings: []broker.Binding{{Exchange: events.Exchange, Key: events.AddressKey}},
	})
	topo.Queues = append(topo.Queues, broker.Queue{
		Name: events.AddressListQueue(events.OwnerPay), Bindings: []broker.Binding{{Exchange: events.Exchange, Key: events.AddressListKey}},
	})
	topo.Queues = append(topo.Queues, broker.Queue{
		Name: events.AlertQueue, Bindings: []broker.Binding{{Exchange: events.Exchange, Key: events.AlertBinding}},
	})
	for _, owner := range []string{events.OwnerTopup, events.OwnerMatcher, events.OwnerPay} {
		topo.Queues = append(topo.Queues, broker.Queue{
			Name:     events.TransferQueue(owner),
			Bindings: []broker.Binding{{Exchange: events.Exchange, Key: events.TransferKey(owner)}},
		})
	}
	return topo
}
