package service

import "sync"

// Wake lets one part of a service wake another that sleeps between rounds
// (a sender after something was queued for it): Notify never blocks, and
// however often it is called while the other is busy, it wakes it once. The
// zero value is ready to use.
type Wake struct {
	once sync.Once
	ch   chan struct{}
}

// C is the channel the sleeper selects on.
func (w *Wake) C() <-chan struct{} { return w.channel() }

// Notify wakes the sleeper, or leaves it a wake-up if it is busy.
func (w *Wake) Notify() {
	select {
	case w.channel() <- struct{}{}:
	default:
	}
}

func (w *Wake) channel() chan struct{} {
	w.once.Do(func() { w.ch = make(chan struct{}, 1) })
	return w.ch
}
