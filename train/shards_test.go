package train

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/attnlab/attnlab/model"
)

// TestStepMatchesForwardShards: the fused per-shard forward+backward of
// step gives the same loss bits as forwardShards (whose count lossCount
// must reproduce exactly), on a batch with masked positions and missing
// targets, for 1, 2 and 4 shards; and the weights after a step are the same
// for every shard count's GOMAXPROCS 1 and 4 runs.
func TestStepMatchesForwardShards(t *testing.T) {
	for _, S := range []int{1, 2, 4} {
		var after [][]float32
		for _, procs := range []int{1, 4} {
			prev := runtime.GOMAXPROCS(procs)
			m, err := model.NewInit[float32](smallCfg)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := New(m, smallTask(t), Options{Steps: 10, Batch: 8, SeqLen: 24, Shards: S})
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
			want, count, err := tr.forwardShards(b)
			if err != nil {
				t.Fatal(err)
			}
			if got := lossCount(b, S); got != count {
				t.Errorf("S=%d: lossCount = %v, forwardShards counted %v", S, got, count)
			}
			got, _, err := tr.step(b)
			runtime.GOMAXPROCS(prev)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("S=%d procs=%d: step loss %v, forwardShards %v", S, procs, got, want)
			}
			after = append(after, slices.Clone(tr.Model.Params.Data))
		}
		if !slices.Equal(after[0], after[1]) {
			t.Errorf("S=%d: weights after a step differ between GOMAXPROCS 1 and 4", S)
		}
	}
}

// TestForEachShard: every shard runs exactly once, for shard counts below,
// at and above the number of cores.
func TestForEachShard(t *testing.T) {
	for _, S := range []int{1, 2, 3, 8} {
		for range 50 {
			runs := make([]atomic.Int32, S)
			forEachShard(S, func(s int) { runs[s].Add(1) })
			for s := range runs {
				if n := runs[s].Load(); n != 1 {
					t.Fatalf("S=%d: shard %d ran %d times", S, s, n)
				}
			}
		}
	}
}
