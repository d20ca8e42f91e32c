// Package topology lists the exchanges and queues every service declares at start,
// so that no message is unroutable whichever service starts first, and tells the
// public part (business systems' virtual host) from the internal one.
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
	// Pay signs for the allocated addresses; withdraw refuses them as recipients.
	for _, learner := range []string{events.OwnerPay, contract.FlowWithdraw} {
		topo.Queues = append(topo.Queues, broker.Queue{
			Name: events.AddressQueue(learner), Bindings: []broker.Binding{{Exchange: events.Exchange, Key: events.AddressKey}},
		}, broker.Queue{
			Name: events.AddressListQueue(learner), Bindings: []broker.Binding{{Exchange: events.Exchange, Key: events.AddressListKey}},
		})
	}
	topo.Queues = append(topo.Queues, broker.Queue{
		Name: events.RescanQueue, Bindings: []broker.Binding{{Exchange: events.Exchange, Key: events.RescanKey}},
	})
	topo.Queues = append(topo.Queues, broker.Queue{
		Name: events.WebhookQueue, Bindings: []broker.Binding{{Exchange: events.Exchange, Key: events.WebhookKey}},
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
	topo.Queues = append(topo.Queues, broker.Queue{Name: events.LedgerQueue, Bindings: []broker.Binding{
		{Exchange: events.Exchange, Key: events.TransferKey(events.OwnerTopup)},
		{Exchange: events.Exchange, Key: events.TransferKey(events.OwnerMatcher)},
	}})
	return topo
}

// Split separates the internal part of topo (the internal exchange and every
// queue bound to it), which lives in the internal virtual host, from the
// public part.
func Split(topo broker.Topology) (public, internal broker.Topology) {
	for _, ex := range topo.Exchanges {
		if ex.Name == events.Exchange {
			internal.Exchanges = append(internal.Exchanges, ex)
		} else {
			public.Exchanges = append(public.Exchanges, ex)
		}
	}
	for _, q := range topo.Queues {
		if boundTo(q, events.Exchange) {
			internal.Queues = append(internal.Queues, q)
		} else {
			public.Queues = append(public.Queues, q)
		}
	}
	return public, internal
}

func boundTo(q broker.Queue, exchange string) bool {
	for _, b := range q.Bindings {
		if b.Exchange == exchange {
			return true
		}
	}
	return false
}
