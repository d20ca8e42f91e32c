package deposits

import (
	"slices"
	"testing"

	"paysuite/pkg/events"
	"paysuite/services/topup/internal/store"
)

func TestNext(t *testing.T) {
	at := func(status int) *store.Deposit { return &store.Deposit{Status: status} }
	cases := []struct {
		name string
		row  *store.Deposit
		kind string
		want []int
	}{
		{"first seen", nil, events.KindSeen, []int{2}},
		{"confirmed before seen arrived", nil, events.KindConfirmed, []int{2, 1}},
		{"confirmed after pending", at(2), events.KindConfirmed, []int{1}},
		{"seen twice", at(2), events.KindSeen, nil},
		{"removed after pending", at(2), events.KindRemoved, []int{0}},
		{"removed never seen", nil, events.KindRemoved, nil},
		{"removed after confirmed", at(1), events.KindRemoved, nil},
		{"seen again after reorg", at(0), events.KindSeen, []int{2}},
		{"confirmed twice", at(1), events.KindConfirmed, nil},
	}
	for _, c := range cases {
		if got := next(c.row, c.kind); !slices.Equal(got, c.want) {
			t.Errorf("%s: next = %v, want %v", c.name, got, c.want)
		}
	}
}
