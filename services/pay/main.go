// Command pay pays merchants for orders from users' deposit addresses (funding
// their gas) or from its own hot wallet, exactly once per request, and reports
// the outcome.
// With the argument pending it lists the requests not yet final instead
// (pay help).
package main

import (
	"paysuite/pkg/payoutapp"
	"paysuite/services/pay/internal/app"
	"paysuite/services/pay/internal/config"
)

func main() {
	payoutapp.Main[config.Config]("pay", app.Run, app.Operator)
}
