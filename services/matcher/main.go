// Command matcher opens orders with a payable address and amount and matches
// incoming transfers to them.
package main

import (
	"paysuite/pkg/service"
	"paysuite/services/matcher/internal/app"
	"paysuite/services/matcher/internal/config"
)

func main() {
	service.Main[config.Config]("matcher", app.Run)
}
