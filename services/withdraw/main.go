// Command withdraw pays out tokens from the suite's hot wallet, exactly once per
// request, and reports the outcome.
package main

import (
	"paysuite/pkg/service"
	"paysuite/services/withdraw/internal/app"
	"paysuite/services/withdraw/internal/config"
)

func main() {
	service.Main[config.Config]("withdraw", app.Run)
}
