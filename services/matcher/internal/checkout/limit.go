package checkout

import (
	"context"
	"sync"
	"time"
)

// limiter is a token bucket per client: a client may make perMinute
// requests at once, and perMinute a minute after that.
type limiter struct {
	perMinute float64
	now       func() time.Time
	mu        sync.Mutex
	buckets   map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// sweepEvery is how often buckets that have refilled are forgotten.
const sweepEvery = time.Minute

func newLimiter(perMinute int, now func() time.Time) *limiter {
	return &limiter{perMinute: float64(perMinute), now: now, buckets: map[string]*bucket{}}
}

// allow takes a token of client's bucket; when there is none it returns how
// long until there is one.
func (l *limiter) allow(client string) (wait time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[client]
	if b == nil {
		b = &bucket{tokens: l.perMinute, at: now}
		l.buckets[client] = b
	}
	b.tokens = min(l.perMinute, b.tokens+now.Sub(b.at).Minutes()*l.perMinute)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return time.Duration((1 - b.tokens) / l.perMinute * float64(time.Minute)), false
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
			if b.tokens+now.Sub(b.at).Minutes()*l.perMinute >= l.perMinute {
				delete(l.buckets, client)
			}
		}
		l.mu.Unlock()
	}
}
