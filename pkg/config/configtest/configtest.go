// Package configtest checks that a service's configuration refuses bad
// settings with errors that name them.
package configtest

import (
	"strings"
	"testing"

	"paysuite/pkg/config"
)

// Refusal is a setting a configuration must refuse: Env is set on top of the
// test's environment, and the error must contain Want.
type Refusal struct {
	Env  map[string]string
	Want string
}

// ExpectRefusals loads a T under each refusal's environment in turn and fails
// t unless the error contains its Want. Each refusal's variables are emptied
// again before the next.
func ExpectRefusals[T any](t *testing.T, refusals []Refusal) {
	t.Helper()
	for _, r := range refusals {
		for k, v := range r.Env {
			t.Setenv(k, v)
		}
		_, err := config.Load[T]()
		if err == nil || !strings.Contains(err.Error(), r.Want) {
			t.Errorf("%v: error %v, want one containing %q", r.Env, err, r.Want)
		}
		for k := range r.Env {
			t.Setenv(k, "")
		}
	}
}
