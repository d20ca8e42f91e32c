package payouts

import (
	"sync"

	"paysuite/pkg/request"
	"paysuite/pkg/txsender"
)

// signGate lets one worker of this process at a time go for the hot wallet's
// nonce lock, carrying the fresh withdrawals every other worker has ready by
// then (group commit). The nonce row is one lock for all replicas: without
// the gate each worker queues there with the few deliveries it happened to
// take, and the lock is taken once per two or three withdrawals; with it one
// connection per replica queues, and what gathers while it waits is signed
// under a single lock and commit.
//
// The zero value is ready to use.
type signGate struct {
	turn  sync.Mutex // held by the worker signing for the others
	mu    sync.Mutex // guards queue
	queue []*signJob
}

// signJob is one worker's batch of fresh, valid withdrawals waiting for a
// signing turn, then what became of them.
type signJob struct {
	ws     []Withdrawal
	quotes []txsender.Quote

	// Set by the worker that signed the job, before done is closed.
	sendIDs []uint64
	alerted bool             // a low_balance alert was queued
	refused *request.Refusal // the stored refusal of a batch of one
	err     error
	done    chan struct{}
}

func newSignJob(ws []Withdrawal, quotes []txsender.Quote) *signJob {
	return &signJob{ws: ws, quotes: quotes, done: make(chan struct{})}
}

// finished reports whether the job has been signed (or has failed).
func (j *signJob) finished() bool {
	select {
	case <-j.done:
		return true
	default:
	}
	return false
}

// do queues j and returns once it has been handled, by this worker or by the
// one whose turn it was. sign handles the jobs it is given in one go and must
// close the done channel of each.
func (g *signGate) do(j *signJob, limit int, sign func([]*signJob)) error {
	g.mu.Lock()
	g.queue = append(g.queue, j)
	g.mu.Unlock()

	g.turn.Lock()
	defer g.turn.Unlock()
	// A worker whose job was taken by the previous turn finds it done here;
	// otherwise it takes the oldest jobs, its own among them sooner or later.
	for !j.finished() {
		jobs := g.take(limit)
		if len(jobs) == 0 {
			// Only a sign that left a job it was given unfinished gets here:
			// fail rather than wait for a job no one holds any more.
			return errSignAbandoned
		}
		sign(jobs)
	}
	return j.err
}

// take removes the oldest queued jobs holding up to limit withdrawals in all
// (always at least one job).
func (g *signGate) take(limit int) []*signJob {
	g.mu.Lock()
	defer g.mu.Unlock()
	n, size := 0, 0
	for n < len(g.queue) && (n == 0 || size+len(g.queue[n].ws) <= limit) {
		size += len(g.queue[n].ws)
		n++
	}
	jobs := g.queue[:n:n]
	g.queue = append([]*signJob(nil), g.queue[n:]...)
	return jobs
}
