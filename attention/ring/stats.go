package ring

import "time"

// Pass is the forward or the backward pass.
type Pass int

const (
	ForwardPass Pass = iota
	BackwardPass
)

func (p Pass) String() string {
	if p == BackwardPass {
		return "backward"
	}
	return "forward"
}

// Stats is what one host did in one pass. Times are measured on the host
// from the start of the pass.
type Stats struct {
	Host, Tokens int
	// Computed and Skipped count block pairs: a pair is skipped when every
	// one of its (query, key) pairs is masked.
	Computed, Skipped int
	// Visible counts the (query, key) pairs the mask keeps; Area the pairs
	// in the rectangles handed to the kernel (which skips masked tiles
	// inside them).
	Visible, Area int64
	// Compute is the time spent in the kernels; Comm the time from each
	// step's start until its transfers ended (they run beside the
	// computation); Idle the time spent waiting for transfers after the
	// computation: the communication that was not hidden. Wall is the
	// whole pass.
	Compute, Comm, Idle, Wall time.Duration
	BytesSent                 int64
	// PeakBytes is the most memory the host's own buffers held at once:
	// inputs, outputs, the two key/value blocks (double buffering), the
	// gradient accumulators and scratch.
	PeakBytes int64
	held      int64
	Steps     []Step
	// Origin is the wall-clock time the pass started, which step times
	// count from: hosts on one machine (or synchronised clocks) can be
	// drawn on one time axis.
	Origin time.Time
}

// Step is one step of a pass on one host: computing against the block of
// host Owner while the transfers run.
type Step struct {
	Pass        Pass
	Step, Owner int
	// Start, the end of the computation, the end of the last transfer, and
	// the end of the step (the later of the two), from the pass's start.
	Start, ComputeEnd, CommEnd, End time.Duration
	// KVArrived is when the next key/value block had arrived (0 in the
	// last step, which receives none). The previous host started sending
	// it at its own Start of the same step.
	KVArrived time.Duration
	Area      int64 // (query, key) pairs handed to the kernel
	Visible   int64 // of which the mask keeps
	Sent      int64 // bytes this step sent
}

func (s *Stats) hold(n int64) {
	s.held += n
	s.PeakBytes = max(s.PeakBytes, s.held)
}

// Hidden is the share of communication time hidden behind computation:
//
//	hidden = 1 − Σ idle / Σ comm
//
// (1 when there was no communication).
func (s *Stats) Hidden() float64 {
	if s.Comm <= 0 {
		return 1
	}
	return max(0, 1-float64(s.Idle)/float64(s.Comm))
}
