//go:build gemmprobe && amd64 && !noasm

package gemm

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"sync"
)

// With the build tag gemmprobe the attention kernels (MatMulHeads16 and the
// d_head-16 scores behind MatMulTri) time every call with the TSC and, every
// probeEvery calls, print to stderr each product's median TSC cycles per
// call and the useful work (the causal triangle) at that median as a
// fraction of the FMA peak, fmaLoop timed in TSC cycles (best of 20). It
// measures the kernels inside a real workload, e.g.
//
//	go test -tags gemmprobe ./train -run XXX -bench 'TrainStepRef$'
//
// where a CPU profile's attribution is too coarse and a mean would count
// the calls the scheduler interrupted. Products are told apart by kind and
// strides (heads: B's and C's, scores: q's and k's; the reference model's
// q, k, v rows have 192 floats, z's 64).
const probeEvery = 50000

func rdtsc() uint64

type probe uint64

func probeStart() probe { return probe(rdtsc()) }

type probeKey struct {
	kind     string
	ldb, ldc int
}

var probeState struct {
	sync.Mutex
	n     int
	calls map[probeKey][]uint64
	flops map[probeKey]float64
}

// probePeak is fmaLoop's float32 FLOPs per TSC cycle.
var probePeak = sync.OnceValue(func() float64 {
	fmaLoop(1 << 16)
	best := 0.0
	for range 20 {
		t0 := rdtsc()
		fmaLoop(1 << 16)
		best = max(best, 12*16*2*(1<<16)/float64(rdtsc()-t0))
	}
	return best
})

// done records a call that began at p and did flops useful FLOPs.
func (p probe) done(kind string, ldb, ldc, flops int) {
	c := rdtsc() - uint64(p)
	s := &probeState
	s.Lock()
	defer s.Unlock()
	if s.calls == nil {
		s.calls, s.flops = map[probeKey][]uint64{}, map[probeKey]float64{}
	}
	k := probeKey{kind, ldb, ldc}
	s.calls[k] = append(s.calls[k], c)
	s.flops[k] += float64(flops)
	if s.n++; s.n%probeEvery == 0 {
		fmt.Fprint(os.Stderr, probeReport())
		clear(s.calls)
		clear(s.flops)
	}
}

// probeReport formats the recorded calls; the caller holds the lock.
func probeReport() string {
	s := &probeState
	keys := make([]probeKey, 0, len(s.calls))
	for k := range s.calls {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		return a.kind < b.kind || a.kind == b.kind && (a.ldb < b.ldb || a.ldb == b.ldb && a.ldc < b.ldc)
	})
	out := fmt.Sprintf("gemm probe (peak %.1f FLOP per TSC cycle):\n", probePeak())
	for _, k := range keys {
		v := slices.Clone(s.calls[k])
		slices.Sort(v)
		med := float64(v[len(v)/2])
		fl := s.flops[k] / float64(len(v))
		out += fmt.Sprintf("  %-14s strides %3d,%3d  %7d calls  median %6.0f cycles  %.3f of peak (p75 %.3f)\n",
			k.kind, k.ldb, k.ldc, len(v), med, fl/med/probePeak(), fl/float64(v[len(v)*3/4])/probePeak())
	}
	return out
}
