package app_test

import (
	"testing"

	"paysuite/pkg/contract"
	"paysuite/pkg/events"
	"paysuite/pkg/service/flowtest"
	"paysuite/services/topup/internal/app"
	"paysuite/services/topup/internal/store"
)

// depth is the confirmation depth of the tests.
const depth = flowtest.Depth

// topup is the service the suite runs: the test plays the business system
// on the public side and the chain-listener on the internal side.
var topup = flowtest.Service{
	Name: "topup", Owner: events.OwnerTopup, Flow: contract.FlowTopup, Migrations: store.Migrations(),
	Queues:   func(n contract.Names) (string, string) { return n.TopupQueue, n.TopupReturnQueue },
	Accepted: contract.EventRegistered, Reported: contract.EventDeposit, Address: "address", Amount: "amount",
}

// start runs topup in-process until the test ends.
func start(t *testing.T) *flowtest.Suite {
	t.Helper()
	return flowtest.Start(t, topup, app.Run)
}
