package app_test

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"paysuite/pkg/contract"
	"paysuite/pkg/erc20"
	"paysuite/pkg/events"
	"paysuite/pkg/money"
	"paysuite/pkg/service/flowtest"
	"paysuite/pkg/service/servicetest"
	"paysuite/pkg/witness/witnesstest"
	"paysuite/services/matcher/internal/app"
	"paysuite/services/matcher/internal/store"
)

// depth is the confirmation depth of the tests.
const depth = flowtest.Depth

// hook is the callback_url of the tests' orders that have one.
const hook = "https://shop.example/orders"

// matcher is the service the suite runs: the test plays the business system
// on the public side and the chain-listener on the internal side.
var matcher = flowtest.Service{
	Name: "matcher", Owner: events.OwnerMatcher, Flow: contract.FlowOrder, Migrations: store.Migrations(),
	Queues:   func(n contract.Names) (string, string) { return n.OrderQueue, n.OrderReturnQueue },
	Accepted: contract.EventCreated, Reported: contract.EventPaid, Address: "pay_address", Amount: "paid_amount",
}

// suite is the matcher running in-process.
type suite struct{ *flowtest.Suite }

func start(t *testing.T) *suite {
	t.Helper()
	return &suite{flowtest.Start(t, matcher, app.Run)}
}

// pay pays the order of created its pay_amount on the suite's chain; it
// returns the transfer as the listener first reports it.
func (s *suite) pay(created servicetest.Return) events.Transfer {
	s.T.Helper()
	return s.payOn(s.Chain, erc20.Decimals, created)
}

// payOn pays the order of created its pay_amount of chain's USDT, of
// decimals decimals.
func (s *suite) payOn(chain *witnesstest.Chain, decimals int32, created servicetest.Return) events.Transfer {
	s.T.Helper()
	amount, err := money.Parse(created.Str("pay_amount"), decimals)
	if err != nil {
		s.T.Fatal(err)
	}
	return chain.PayExact([]common.Address{common.HexToAddress(created.Str("pay_address"))},
		[]*big.Int{money.ToBaseUnits(amount, decimals)})[0]
}
