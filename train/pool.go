package train

import (
	"runtime"
	"sync/atomic"
	"time"
)

// pool runs jobs of n independent tasks on persistent workers: the calling
// goroutine and up to size−1 helper goroutines claim task indices from a
// shared counter until none are left. Which goroutine runs a task never
// changes a result: callers give each task its own output and combine the
// outputs in task order.
//
// Starting a goroutine, or waking one parked in the scheduler, costs tens
// to hundreds of µs on a virtual machine, as long as a small training step
// takes on one core. So helpers outlive a job: after one they spin for
// spinFor waiting for the next (a training step hands out several jobs in a
// row), and only then park until woken. The spin is short (50 µs): the
// longest waits are at the end of a step's units, where one worker waits
// for the other's last unit (a few hundred µs), and a spin that long is
// CPU time lost (300 µs cost the reference step 3% of its CPU time; a
// late-woken helper only joins the next job late, as the caller starts
// it at once). A helper that starts late, or never gets a core, just
// finds the tasks taken; nobody waits for a helper that has no task.
type pool struct {
	size    int
	gen     atomic.Uint64 // job generation; helpers run a job when it moves
	job     atomic.Pointer[job]
	helpers []*helper
	closed  atomic.Bool

	// With timed set (before the pool is used), jobNs sums the wall time
	// of jobs from start to finish, taskNs the time their tasks ran, over
	// all workers: what BenchmarkTrainStepRef reports as the cores' busy
	// and serial shares. Off, the tasks run without the clock.
	timed         bool
	jobNs, taskNs atomic.Int64
}

type helper struct {
	id     int // worker id, 1..size−1 (the caller of run is 0)
	parked atomic.Bool
	wake   chan struct{} // cap 1
}

// job is one batch of tasks.
type job struct {
	n          int
	f          func(worker, i int)
	next, done atomic.Int64
	finished   chan struct{} // closed by whoever completes the last task
	taskNs     *atomic.Int64 // the pool's when it is timed, else nil
}

// spinFor is how long an idle helper polls for the next job before it
// parks.
const spinFor = 50 * time.Microsecond

// newPool starts size−1 helpers (size ≤ 1: none; every job then runs on
// the caller).
func newPool(size int) *pool {
	p := &pool{size: max(1, size)}
	for id := range p.size - 1 {
		h := &helper{id: id + 1, wake: make(chan struct{}, 1)}
		p.helpers = append(p.helpers, h)
		go p.loop(h)
	}
	return p
}

// run calls f(worker, i) for every i < n and returns when all calls have
// returned. worker (0 ≤ worker < size) names the goroutine making the call:
// calls with the same worker never overlap, so f may use per-worker
// scratch. Only one goroutine may call run at a time.
func (p *pool) run(n int, f func(worker, i int)) {
	if n <= 0 {
		return
	}
	if len(p.helpers) == 0 || n == 1 {
		for i := range n {
			f(0, i)
		}
		return
	}
	j := &job{n: n, f: f, finished: make(chan struct{})}
	if p.timed {
		t0 := time.Now()
		defer func() { p.jobNs.Add(int64(time.Since(t0))) }()
		j.taskNs = &p.taskNs
	}
	p.job.Store(j)
	p.gen.Add(1)
	for _, h := range p.helpers[:min(len(p.helpers), n-1)] {
		if h.parked.Swap(false) {
			h.wake <- struct{}{}
		}
	}
	j.work(0)
	// The caller has run out of tasks; the helpers are finishing theirs:
	// a few yields, then block (a long wait is the helper's last unit).
	for spin := 0; j.done.Load() < int64(n); spin++ {
		if spin > 8 {
			<-j.finished
			break
		}
		runtime.Gosched()
	}
	p.job.Store(nil) // drop f (and what it holds) until the next job
}

// work claims and runs tasks as worker until none are left.
func (j *job) work(worker int) {
	for {
		i := int(j.next.Add(1)) - 1
		if i >= j.n {
			return
		}
		if j.taskNs != nil {
			t0 := time.Now()
			j.f(worker, i)
			j.taskNs.Add(int64(time.Since(t0)))
		} else {
			j.f(worker, i)
		}
		if j.done.Add(1) == int64(j.n) {
			close(j.finished)
		}
	}
}

// loop is a helper: wait for a new generation, run its job, repeat.
func (p *pool) loop(h *helper) {
	seen := p.gen.Load()
	for !p.closed.Load() {
		g := p.gen.Load()
		if g == seen {
			if !p.wait(h, seen) {
				continue
			}
			g = p.gen.Load()
		}
		seen = g
		if j := p.job.Load(); j != nil {
			j.work(h.id)
		}
	}
}

// wait spins for up to spinFor, then parks until run or close wakes h. It
// reports whether the generation moved past seen.
func (p *pool) wait(h *helper, seen uint64) bool {
	deadline := time.Now().Add(spinFor)
	for spin := 0; ; spin++ {
		if p.gen.Load() != seen || p.closed.Load() {
			return true
		}
		if spin%64 == 63 {
			if time.Now().After(deadline) {
				break
			}
			runtime.Gosched()
		}
	}
	h.parked.Store(true)
	if p.gen.Load() != seen || p.closed.Load() {
		// A job (or close) came in between: take it unless its sender
		// already saw us parked and is sending a wake-up.
		if !h.parked.Swap(false) {
			<-h.wake
		}
		return true
	}
	<-h.wake
	return true
}

// close stops the helpers (they exit once they see it; a parked one is
// woken). The pool must not be used after close.
func (p *pool) close() {
	if p.closed.Swap(true) {
		return
	}
	for _, h := range p.helpers {
		if h.parked.Swap(false) {
			h.wake <- struct{}{}
		}
	}
}
