package payouts

import (
	"slices"
	"testing"
)

// The gate signs, in one turn, every job queued when the turn begins, up to
// the limit, oldest first.
func TestSignGateGathers(t *testing.T) {
	job := func(n int) *signJob { return newSignJob(make([]Withdrawal, n), nil) }
	var g signGate
	waiting := []*signJob{job(3), job(4), job(2)}
	g.queue = append(g.queue, waiting...) // queued by workers waiting for their turn
	mine := job(5)
	var turns [][]int
	err := g.do(mine, 10, func(jobs []*signJob) {
		var sizes []int
		for _, j := range jobs {
			sizes = append(sizes, len(j.ws))
			close(j.done)
		}
		turns = append(turns, sizes)
	})
	if err != nil {
		t.Fatal(err)
	}
	// 3+4+2 fit in 10, 5 does not: it waits for the next turn.
	if want := [][]int{{3, 4, 2}, {5}}; !slices.EqualFunc(turns, want, slices.Equal) {
		t.Fatalf("turns %v, want %v", turns, want)
	}
	for _, j := range waiting {
		if !j.finished() {
			t.Fatal("a queued job was left unsigned")
		}
	}
	if len(g.queue) != 0 {
		t.Fatalf("%d jobs left queued", len(g.queue))
	}
}
