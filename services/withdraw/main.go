// Command withdraw pays out tokens from the suite's hot wallet, exactly once per
// request, and reports the outcome.
// With the argument pending it lists the requests not yet final instead
// (withdraw help).
package main

import (
	"paysuite/pkg/payoutapp"
	"paysuite/services/withdraw/internal/app"
	"paysuite/services/withdraw/internal/config"
)

func main() {
	payoutapp.Main[config.Config]("withdraw", app.Run, app.Operator)
}
