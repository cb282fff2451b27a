package probes

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/attnlab/attnlab/fixtures"
	"github.com/attnlab/attnlab/model"
)

// TestReachSequences: each probe sequence holds its string exactly twice,
// d apart, inside the sequence, with BOS first.
func TestReachSequences(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 1))
	const T, V = 64, 20
	for range 200 {
		tokens := make([]int32, T)
		d := 1 + r.IntN(50)
		s := newReachSeq(r, tokens, d, 8, V)
		if tokens[0] != 0 || s.d != d || s.L != min(8, d) || s.p0 < 1 || s.p0+s.d+s.L > T {
			t.Fatalf("sequence %+v: %v", s, tokens)
		}
		for i := range s.L {
			x := tokens[s.p0+i]
			if tokens[s.p0+s.d+i] != x {
				t.Fatalf("copy differs at %d: %v", i, tokens)
			}
			n := 0
			for _, y := range tokens {
				if y == x {
					n++
				}
			}
			if n != 2 {
				t.Fatalf("token %d occurs %d times, want 2: %v", x, n, tokens)
			}
		}
	}
}

// TestReachWindowHidesFarCopies runs the embedded two-layer induction model
// as it is and with a window of 16 in its second layer (same weights): as
// is, it copies at every distance (second-copy loss far below the first
// copy's, a layer-1 head prefix-matching above 0.5); with the window, no
// head attends to a key 16 or more positions back, so prefix matching is
// exactly 0 in the bins beyond, and the loss there is back near the first
// copy's.
func TestReachWindowHidesFarCopies(t *testing.T) {
	t.Parallel()
	m, err := fixtures.Model("induction-2l")
	if err != nil {
		t.Fatal(err)
	}
	opt := ReachOptions{Bins: []int{4, 12, 24, 48, 100}, Batch: 8, Seed: 3}
	dense, err := Reach(context.Background(), m, opt)
	if err != nil {
		t.Fatal(err)
	}
	cfg := m.Config
	cfg.Attention = []string{"softmax", "window:16"}
	w, err := model.New[float32](cfg)
	if err != nil {
		t.Fatal(err)
	}
	copy(w.Params.Data, m.Params.Data)
	win, err := Reach(context.Background(), w, opt)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range dense {
		_, _, best := b.Best()
		if b.Loss > b.FirstLoss/2 || b.FirstLoss < 3 || best < 0.5 {
			t.Errorf("dense, distances [%d, %d): loss %.2f (first copy %.2f), best prefix matching %.2f", b.Lo, b.Hi, b.Loss, b.FirstLoss, best)
		}
		wb := win[i]
		if wb.Lo >= 17 {
			for h, v := range wb.PrefixMatching[1] {
				if v != 0 {
					t.Errorf("window:16, distances [%d, %d): L1H%d prefix matching %g, want exactly 0", wb.Lo, wb.Hi, h, v)
				}
			}
			if wb.Loss < 2.5 {
				t.Errorf("window:16, distances [%d, %d): loss %.2f, want near the first copy's %.2f", wb.Lo, wb.Hi, wb.Loss, wb.FirstLoss)
			}
		}
		if math.IsNaN(wb.LossSE) {
			t.Errorf("no standard error with 8 sequences")
		}
	}
}

// TestReachChunks: the sequences of a bin run a chunk at a time, and the
// chunk size changes no bit of the result. (Not parallel: it changes
// reachChunk.)
func TestReachChunks(t *testing.T) {
	m, err := fixtures.Model("induction-2l")
	if err != nil {
		t.Fatal(err)
	}
	opt := ReachOptions{Bins: []int{4, 12, 40}, Batch: 11, Seed: 5}
	whole, err := Reach(context.Background(), m, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer func(old int) { reachChunk = old }(reachChunk)
	reachChunk = 3
	chunked, err := Reach(context.Background(), m, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(whole, chunked) {
		t.Fatalf("chunks of 3 changed the result:\n%+v\n%+v", whole, chunked)
	}
}
