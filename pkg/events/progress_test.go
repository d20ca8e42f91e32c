package events

import (
	"slices"
	"testing"

	"paysuite/pkg/contract"
)

func TestStatusesAfter(t *testing.T) {
	const (
		pending   = contract.StatusPending
		confirmed = contract.StatusSuccess
		removed   = contract.StatusFailed
	)
	tests := []struct {
		last int
		kind string
		want []int
	}{
		{NotReported, KindSeen, []int{pending}},
		{NotReported, KindConfirmed, []int{pending, confirmed}},
		{NotReported, KindRemoved, nil},
		{pending, KindSeen, nil},
		{pending, KindConfirmed, []int{confirmed}},
		{pending, KindRemoved, []int{removed}},
		{removed, KindSeen, []int{pending}},
		{removed, KindConfirmed, []int{pending, confirmed}},
		{removed, KindRemoved, nil},
		{confirmed, KindSeen, nil},
		{confirmed, KindConfirmed, nil},
		{confirmed, KindRemoved, nil},
	}
	for _, tt := range tests {
		if got := StatusesAfter(tt.last, tt.kind); !slices.Equal(got, tt.want) {
			t.Errorf("StatusesAfter(%d, %s) = %v, want %v", tt.last, tt.kind, got, tt.want)
		}
	}
}
