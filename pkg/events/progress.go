package events

import "paysuite/pkg/contract"

// NotReported is the last status of a transfer never reported.
const NotReported = -1

// StatusesAfter returns the statuses to report, in order, when a transfer
// event of kind arrives for a transfer last reported with status last
// (NotReported when never). A transfer is always reported pending before
// anything else; a removal is reported (status 0, reorged) only after pending;
// a confirmed transfer stays confirmed; one mined again after its removal is
// reported anew from pending.
func StatusesAfter(last int, kind string) []int {
	switch kind {
	case KindSeen:
		if last == NotReported || last == contract.StatusFailed {
			return []int{contract.StatusPending}
		}
	case KindConfirmed:
		switch last {
		case NotReported, contract.StatusFailed:
			return []int{contract.StatusPending, contract.StatusSuccess}
		case contract.StatusPending:
			return []int{contract.StatusSuccess}
		}
	case KindRemoved:
		if last == contract.StatusPending {
			return []int{contract.StatusFailed}
		}
	}
	return nil
}
