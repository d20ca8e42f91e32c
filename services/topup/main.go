// Command topup allocates or watches deposit addresses and reports deposits to them.
package main

import (
	"paysuite/pkg/service"
	"paysuite/services/topup/internal/app"
	"paysuite/services/topup/internal/config"
)

func main() {
	service.Main[config.Config]("topup", app.Run)
}
