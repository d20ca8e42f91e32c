package service

import (
	"context"
	"time"

	"github.com/rs/zerolog"
)

// Every runs round every interval, the first time one interval after the
// start, until ctx ends. A round's error is logged as what failed and left to
// the next round, so that one bad round stops nothing.
func Every(ctx context.Context, interval time.Duration, log zerolog.Logger, what string, round func(context.Context) error) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if err := round(ctx); err != nil && ctx.Err() == nil {
			log.Warn().Err(err).Msg(what + " failed; the next round retries")
		}
	}
}
