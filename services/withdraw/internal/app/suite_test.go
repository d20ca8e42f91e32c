package app

import (
	"testing"

	"paysuite/pkg/contract"
	"paysuite/pkg/payoutapp/payoutapptest"
	"paysuite/services/withdraw/internal/config"
	"paysuite/services/withdraw/internal/store"
)

// service is withdraw as the tests run it: one worker, so that the answers come
// in the order of the messages.
var service = payoutapptest.Service[config.Config]{
	Name: "withdraw", Migrations: store.Migrations(), Run: Run, Env: map[string]string{"WITHDRAW_WORKERS": "1"},
	HotKey: (*config.Config).HotKey, Flow: contract.Names.Withdraw, FinalEvent: contract.EventWithdraw,
}

// suite is withdraw run as its main runs it; the test talks to it as a business
// system does.
type suite struct {
	*payoutapptest.Suite[config.Config]
}

// start runs withdraw until the test ends, with extra settings over the tests'
// defaults, and follows its return queue, the operator alerts and the
// notifier's webhook queue.
func start(t *testing.T, extra map[string]string) *suite {
	t.Helper()
	return &suite{payoutapptest.Start[config.Config](t, service, extra)}
}
