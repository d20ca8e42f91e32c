package checkout

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter is a token bucket per client (golang.org/x/time/rate): a client may
// make perMinute requests at once, and perMinute a minute after that.
type limiter struct {
	perMinute int
	now       func() time.Time
	mu        sync.Mutex
	buckets   map[string]*rate.Limiter
}

// sweepEvery is how often buckets that have refilled are forgotten.
const sweepEvery = time.Minute

func newLimiter(perMinute int, now func() time.Time) *limiter {
	return &limiter{perMinute: perMinute, now: now, buckets: map[string]*rate.Limiter{}}
}

// allow takes a token of client's bucket; when there is none it returns how
// long until there is one.
func (l *limiter) allow(client string) (wait time.Duration, ok bool) {
	l.mu.Lock()
	b := l.buckets[client]
	if b == nil {
		b = rate.NewLimiter(rate.Every(time.Minute/time.Duration(l.perMinute)), l.perMinute)
		l.buckets[client] = b
	}
	l.mu.Unlock()
	now := l.now()
	r := b.ReserveN(now, 1)
	if delay := r.DelayFrom(now); delay > 0 {
		r.CancelAt(now)
		return delay, false
	}
	return 0, true
}

// sweep forgets, until ctx ends, the buckets of clients quiet long enough
// to have refilled: a new bucket is full too, so memory stays bounded by the
// clients of the last minute.
func (l *limiter) sweep(ctx context.Context) {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		l.mu.Lock()
		now := l.now()
		for client, b := range l.buckets {
			if b.TokensAt(now) >= float64(l.perMinute) {
				delete(l.buckets, client)
			}
		}
		l.mu.Unlock()
	}
}
