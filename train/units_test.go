package train

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/attnlab/attnlab/model"
)

// TestStepMatchesForwardUnits: the fused per-unit forward+backward of step
// gives the same loss bits as forwardUnits (whose count lossCount must
// reproduce exactly), on a batch with masked positions and missing targets,
// for even and uneven decompositions; and the weights after a step are the
// same for GOMAXPROCS 1, 2 and 4.
func TestStepMatchesForwardUnits(t *testing.T) {
	for _, U := range []int{1, 2, 3, 8} {
		var after [][]float32
		for _, procs := range []int{1, 2, 4} {
			prev := runtime.GOMAXPROCS(procs)
			m, err := model.NewInit[float32](smallCfg)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := New(m, smallTask(t), Options{Steps: 10, Batch: 8, SeqLen: 24, Units: U})
			if err != nil {
				t.Fatal(err)
			}
			b := tr.Task.Sample(rand.New(rand.NewPCG(1, 2)), 8, 24)
			r := rand.New(rand.NewPCG(3, 4))
			for i := range b.Mask {
				if r.IntN(4) == 0 {
					b.Mask[i] = 0.5 * float32(r.IntN(3))
				}
				if r.IntN(9) == 0 {
					b.Targets[i] = -1
				}
			}
			want, count, err := tr.forwardUnits(b)
			if err != nil {
				t.Fatal(err)
			}
			if got := lossCount(b, tr.bounds); got != count {
				t.Errorf("U=%d: lossCount = %v, forwardUnits counted %v", U, got, count)
			}
			got, _, err := tr.step(b)
			runtime.GOMAXPROCS(prev)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("U=%d procs=%d: step loss %v, forwardUnits %v", U, procs, got, want)
			}
			after = append(after, slices.Clone(tr.Model.Params.Data))
		}
		for i := 1; i < len(after); i++ {
			if !slices.Equal(after[0], after[i]) {
				t.Errorf("U=%d: weights after a step differ between GOMAXPROCS 1 and run %d", U, i)
			}
		}
	}
}

// TestUnitBounds: units are contiguous, cover the batch, and differ in size
// by at most one sequence.
func TestUnitBounds(t *testing.T) {
	for _, c := range []struct{ B, U int }{{32, 16}, {32, 2}, {33, 2}, {8, 3}, {5, 5}, {1, 1}} {
		b := unitBounds(c.B, c.U)
		if len(b) != c.U+1 || b[0] != 0 || b[c.U] != c.B {
			t.Fatalf("unitBounds(%d, %d) = %v", c.B, c.U, b)
		}
		for u := range c.U {
			if n := b[u+1] - b[u]; n < c.B/c.U || n > c.B/c.U+1 {
				t.Errorf("unitBounds(%d, %d): unit %d has %d sequences", c.B, c.U, u, n)
			}
		}
	}
	if got := DefaultUnits(32); got != 16 {
		t.Errorf("DefaultUnits(32) = %d, want 16", got)
	}
	if got := DefaultUnits(5); got != 5 {
		t.Errorf("DefaultUnits(5) = %d, want 5", got)
	}
}

// TestPool: every task of every job runs exactly once, for task counts
// below, at and above the number of workers, with jobs back to back (the
// helpers spinning) and after a pause (the helpers parked); the worker ids
// are below the pool's size and no two calls with one id overlap.
func TestPool(t *testing.T) {
	for _, size := range []int{1, 2, 4} {
		p := newPool(size)
		for _, n := range []int{1, 2, 3, 8, 17} {
			for rep := range 40 {
				runs := make([]atomic.Int32, n)
				busy := make([]atomic.Int32, p.size)
				p.run(n, func(worker, i int) {
					if worker < 0 || worker >= p.size {
						t.Errorf("worker %d of a pool of %d", worker, p.size)
						return
					}
					if busy[worker].Add(1) != 1 {
						t.Errorf("two calls at once on worker %d", worker)
					}
					runs[i].Add(1)
					busy[worker].Add(-1)
				})
				for i := range runs {
					if c := runs[i].Load(); c != 1 {
						t.Fatalf("size %d, n=%d: task %d ran %d times", size, n, i, c)
					}
				}
				if rep == 20 {
					for p.helpers != nil && !allParked(p) {
						runtime.Gosched()
					}
				}
			}
		}
		p.close()
	}
}

func allParked(p *pool) bool {
	for _, h := range p.helpers {
		if !h.parked.Load() {
			return false
		}
	}
	return true
}

// TestLegacyShardsOption: a recipe (or a checkpoint written before the
// rename) that names Shards gets that many units.
func TestLegacyShardsOption(t *testing.T) {
	o := Options{Batch: 32, Shards: 2}.Defaults()
	if o.Units != 2 || o.Shards != 0 {
		t.Errorf("Shards 2 gave Units %d (Shards %d), want 2 (0)", o.Units, o.Shards)
	}
	if o := (Options{Batch: 32}).Defaults(); o.Units != 16 {
		t.Errorf("default units for batch 32: %d, want 16", o.Units)
	}
}

// TestFLOPsPerToken: the reference step's count by hand. Per layer: q|k|v
// 2·64·192, W_O 2·64·64, q·kᵀ and pattern·v 2·2·65·64; 2 layers and the
// unembedding 2·64·64; forward and backward 3×.
func TestFLOPsPerToken(t *testing.T) {
	m, err := model.NewInit[float32](ReferenceConfig)
	if err != nil {
		t.Fatal(err)
	}
	want := 3.0 * (2*(2*64*192+2*64*64+2*2*65*64) + 2*64*64)
	if got := FLOPsPerToken(m.Config, 65); got != want || got != 321024 {
		t.Errorf("FLOPsPerToken = %v, want %v", got, want)
	}
}
