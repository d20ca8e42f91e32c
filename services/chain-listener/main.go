// Command chain-listener follows an EVM chain and reports ERC-20 transfers into
// the suite's watched addresses to the services that own them.
package main

import (
	"paysuite/pkg/service"
	"paysuite/services/chain-listener/internal/app"
	"paysuite/services/chain-listener/internal/config"
)

func main() {
	service.Main[config.Config](app.Name, app.Run)
}
