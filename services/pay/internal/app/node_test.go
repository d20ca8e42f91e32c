package app

import (
	"testing"

	"paysuite/pkg/payoutapp/payoutapptest"
)

func TestDevModeRefusedOnAnotherChain(t *testing.T) {
	payoutapptest.DevModeRefusedOnAnotherChain(t, service)
}
