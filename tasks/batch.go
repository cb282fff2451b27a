package tasks

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
)

// NoTarget marks a position with nothing to predict in Batch.Targets.
const NoTarget = -1

// Batch is one batch of sequences, every slice row-major [B, T].
type Batch struct {
	B, T    int
	Tokens  []int32   // [B, T] input ids
	Targets []int32   // [B, T] next-token targets; NoTarget (−1) where there is none
	Mask    []float32 // [B, T] 1 where the loss counts, 0 elsewhere
}

// NewBatch allocates a Batch of b sequences of t positions with every
// target NoTarget and every mask 0.
func NewBatch(b, t int) Batch {
	bt := Batch{B: b, T: t, Tokens: make([]int32, b*t), Targets: make([]int32, b*t), Mask: make([]float32, b*t)}
	for i := range bt.Targets {
		bt.Targets[i] = NoTarget
	}
	return bt
}

// Row returns the tokens, targets and mask of sequence i (views, not copies).
func (bt Batch) Row(i int) (tokens, targets []int32, mask []float32) {
	lo, hi := i*bt.T, (i+1)*bt.T
	return bt.Tokens[lo:hi:hi], bt.Targets[lo:hi:hi], bt.Mask[lo:hi:hi]
}

// MaskedCount returns the number of positions where the mask is nonzero.
func (bt Batch) MaskedCount() int {
	n := 0
	for _, m := range bt.Mask {
		if m != 0 {
			n++
		}
	}
	return n
}

// Task is a deterministic data generator.
type Task interface {
	Name() string
	// Vocab is the d_vocab a model needs for this task.
	Vocab() int
	// Sample draws b sequences of t positions, using only r. Callers check
	// the shape first with CheckShape; Sample panics on a shape it cannot
	// fill.
	Sample(r *rand.Rand, b, t int) Batch
	// Spec is the full generator specification, for provenance metadata.
	Spec() map[string]any
}

// shapeChecker is implemented by tasks with constraints on b and t.
type shapeChecker interface {
	CheckShape(b, t int) error
}

// CheckShape returns an error naming the problem if task cannot Sample a
// batch of b sequences of t positions.
func CheckShape(task Task, b, t int) error {
	if b <= 0 || t <= 0 {
		return fmt.Errorf("tasks: %s batch must have B ≥ 1 and T ≥ 1, got B=%d T=%d", task.Name(), b, t)
	}
	if c, ok := task.(shapeChecker); ok {
		return c.CheckShape(b, t)
	}
	return nil
}

// Hash returns a hex sha256 of a batch's shape, tokens and targets (each
// value little-endian int32 after B and T as int64), for provenance: two
// batches with the same hash hold the same data.
func Hash(bt Batch) string {
	h := sha256.New()
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], uint64(bt.B))
	h.Write(buf[:])
	binary.LittleEndian.PutUint64(buf[:], uint64(bt.T))
	h.Write(buf[:])
	b4 := make([]byte, 4*len(bt.Tokens))
	for _, s := range [][]int32{bt.Tokens, bt.Targets} {
		b4 = b4[:4*len(s)]
		for i, v := range s {
			binary.LittleEndian.PutUint32(b4[4*i:], uint32(v))
		}
		h.Write(b4)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// distinct fills dst with len(dst) distinct values drawn uniformly from
// [lo, hi) by a partial Fisher–Yates shuffle over pool (reused scratch,
// returned for the next call).
func distinct(r *rand.Rand, dst []int32, lo, hi int32, pool []int32) []int32 {
	n := int(hi - lo)
	pool = pool[:0]
	for v := lo; v < hi; v++ {
		pool = append(pool, v)
	}
	for i := range dst {
		j := i + r.IntN(n-i)
		pool[i], pool[j] = pool[j], pool[i]
		dst[i] = pool[i]
	}
	return pool
}
