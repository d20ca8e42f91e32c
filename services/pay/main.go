// Command pay pays merchants for orders from users' deposit addresses (funding
// their gas) or from its own hot wallet, exactly once per request, and reports
// the outcome.
package main

import (
	"paysuite/pkg/service"
	"paysuite/services/pay/internal/app"
	"paysuite/services/pay/internal/config"
)

func main() {
	service.Main[config.Config]("pay", app.Run)
}
