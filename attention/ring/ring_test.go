package ring

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attnlab/attnlab/internal/ringnet"
)

func TestLayoutsPartitionThePositions(t *testing.T) {
	t.Parallel()
	for _, l := range Layouts() {
		for _, c := range [][2]int{{1, 1}, {7, 7}, {7, 3}, {100, 8}, {101, 16}, {33, 16}, {17, 16}} {
			N, P := c[0], c[1]
			seen := make([]int, N)
			for p := range P {
				pos := l.Positions(N, P, p)
				if len(pos) != l.Size(N, P, p) || len(pos) == 0 {
					t.Fatalf("%v N=%d P=%d host %d: %d positions, Size %d", l, N, P, p, len(pos), l.Size(N, P, p))
				}
				if !slices.IsSorted(pos) {
					t.Errorf("%v N=%d P=%d host %d: positions not ascending %v", l, N, P, p, pos)
				}
				for _, i := range pos {
					seen[i]++
					if o := l.Owner(N, P, i); o != p {
						t.Errorf("%v N=%d P=%d: Owner(%d) = %d, host %d holds it", l, N, P, i, o, p)
					}
				}
			}
			for i, n := range seen {
				if n != 1 {
					t.Fatalf("%v N=%d P=%d: position %d held %d times", l, N, P, i, n)
				}
			}
		}
	}
	// The zigzag of ring-flash-attention: host p holds chunks p and 2P−1−p.
	if got := Zigzag.Positions(16, 4, 1); !slices.Equal(got, []int{2, 3, 12, 13}) {
		t.Errorf("zigzag host 1 of 4 over 16: %v", got)
	}
	if got := Stripe.Positions(10, 4, 1); !slices.Equal(got, []int{1, 5, 9}) {
		t.Errorf("stripe host 1 of 4 over 10: %v", got)
	}
	if got := Contiguous.Positions(10, 4, 1); !slices.Equal(got, []int{3, 4, 5}) {
		t.Errorf("contiguous host 1 of 4 over 10: %v", got)
	}
}

func TestVisibleBlock(t *testing.T) {
	t.Parallel()
	// Zigzag host 1 of 2 over 8 holds chunks 1, 2 = positions 2,3,4,5; host 0 holds 0,1,6,7.
	b := Visible([]int{2, 3, 4, 5}, []int{0, 1, 6, 7}) // only the early half of the keys is seen
	if b != (Block{Q0: 0, Q1: 4, K1: 2, Visible: 8}) {
		t.Errorf("zigzag host 1 against host 0: %+v", b)
	}
	b = Visible([]int{0, 1, 6, 7}, []int{2, 3, 4, 5}) // only the late queries see anything
	if b != (Block{Q0: 2, Q1: 4, K1: 4, Visible: 8}) {
		t.Errorf("zigzag host 0 against host 1: %+v", b)
	}
	if b := Visible([]int{0, 1}, []int{2, 3}); !b.Empty() || b.Area() != 0 {
		t.Errorf("a block above the diagonal: %+v", b)
	}
	if b := Visible([]int{0, 1, 2}, []int{0, 1, 2}); b.Visible != 6 || b.Area() != 9 {
		t.Errorf("a diagonal block: %+v", b)
	}
}

func TestImbalance(t *testing.T) {
	t.Parallel()
	for _, P := range []int{2, 4, 8, 16} {
		N := 64 * P
		c := Contiguous.Work(N, P)
		if got, want := BlockImbalance(c), 2*float64(P)/float64(P+1); math.Abs(got-want) > 1e-12 {
			t.Errorf("contiguous P=%d: block imbalance %v, want 2P/(P+1) = %v", P, got, want)
		}
		cc := float64(N / P)
		if got, want := PairImbalance(c), ((2*float64(P)-1)*cc+1)/(float64(P)*cc+1); math.Abs(got-want) > 1e-12 {
			t.Errorf("contiguous P=%d: pair imbalance %v, want %v", P, got, want)
		}
		for _, l := range []Layout{Zigzag, Stripe} {
			w := l.Work(N, P)
			if got := PairImbalance(w); got > 1.1 {
				t.Errorf("%v P=%d: pair imbalance %v > 1.1", l, P, got)
			}
		}
		if got := PairImbalance(Zigzag.Work(N, P)); got != 1 {
			t.Errorf("zigzag P=%d, N divisible by 2P: pair imbalance %v, want exactly 1", P, got)
		}
		skipped := 0
		for _, h := range c {
			skipped += h.Skipped
		}
		if skipped != P*(P-1)/2 {
			t.Errorf("contiguous P=%d: %d blocks skipped, want P(P−1)/2", P, skipped)
		}
	}
	if got := Imbalance([]float64{1, 1, 4}); got != 2 {
		t.Errorf("Imbalance(1,1,4) = %v", got)
	}
}

// problem returns seeded q, k, v, dout [N, E] in float32 and float64.
func problem(N, E int, seed uint64) (f32 [4][]float32, f64 [4][]float64) {
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range 4 {
		f32[i], f64[i] = make([]float32, N*E), make([]float64, N*E)
		for j := range f32[i] {
			f32[i][j] = float32(r.NormFloat64())
			f64[i][j] = float64(f32[i][j])
		}
	}
	return f32, f64
}

func toF64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

func TestReferenceBackwardMatchesFiniteDifferences(t *testing.T) {
	t.Parallel()
	const N, E = 7, 3
	_, x := problem(N, E, 3)
	q, k, v, dout := x[0], x[1], x[2], x[3]
	scale := 0.7
	loss := func() float64 {
		out, _ := ReferenceForward(q, k, v, N, E, scale, nil)
		s := 0.0
		for i := range out {
			s += out[i] * dout[i]
		}
		return s
	}
	dq, dk, dv := ReferenceBackward(dout, q, k, v, N, E, scale)
	for name, pair := range map[string][2][]float64{"q": {q, dq}, "k": {k, dk}, "v": {v, dv}} {
		x, g := pair[0], pair[1]
		for i := range x {
			const h = 1e-6
			x0 := x[i]
			x[i] = x0 + h
			lp := loss()
			x[i] = x0 - h
			lm := loss()
			x[i] = x0
			fd := (lp - lm) / (2 * h)
			if math.Abs(fd-g[i]) > 1e-7*max(1, math.Abs(fd)) {
				t.Errorf("d%s[%d]: analytic %v, finite difference %v", name, i, g[i], fd)
			}
		}
	}
	// Rows picked out equal the full run's rows.
	out, lse := ReferenceForward(q, k, v, N, E, scale, nil)
	o2, l2 := ReferenceForward(q, k, v, N, E, scale, []int{5, 2})
	if !slices.Equal(o2[:E], out[5*E:6*E]) || l2[1] != lse[2] {
		t.Error("ReferenceForward on chosen rows differs from the full run")
	}
}

// TestRingIsExact: output and gradients equal the float64 dense reference
// within 1e-5 relative for every layout, P = 1…16, N divisible by P or not.
func TestRingIsExact(t *testing.T) {
	t.Parallel()
	const E = 16
	for _, N := range []int{64, 203} {
		f32, f64 := problem(N, E, uint64(N))
		scale := 1 / math.Sqrt(E)
		wantOut, wantLse := ReferenceForward(f64[0], f64[1], f64[2], N, E, scale, nil)
		wdq, wdk, wdv := ReferenceBackward(f64[3], f64[0], f64[1], f64[2], N, E, scale)
		for _, l := range Layouts() {
			for _, P := range []int{1, 2, 3, 5, 8, 13, 16} {
				pr := Problem{N: N, E: E, Layout: l, ChunkRows: 7} // odd chunks: several kernel calls per block
				res, err := Run(context.Background(), ringnet.Local(P), pr, f32[0], f32[1], f32[2], f32[3])
				if err != nil {
					t.Fatalf("%v P=%d N=%d: %v", l, P, N, err)
				}
				for _, c := range []struct {
					name string
					got  []float32
					want []float64
				}{{"out", res.Out, wantOut}, {"lse", res.LSE, wantLse}, {"dq", res.DQ, wdq}, {"dk", res.DK, wdk}, {"dv", res.DV, wdv}} {
					if e := RelError(c.got, c.want); !(e <= 1e-5) {
						t.Errorf("%v P=%d N=%d: %s relative error %.3g > 1e-5", l, P, N, c.name, e)
					}
				}
			}
		}
	}
}

func TestRingStatsCountTheWork(t *testing.T) {
	t.Parallel()
	const N, E, P = 96, 8, 4
	f32, _ := problem(N, E, 1)
	for _, l := range Layouts() {
		res, err := Run(context.Background(), ringnet.Local(P), Problem{N: N, E: E, Layout: l}, f32[0], f32[1], f32[2], f32[3])
		if err != nil {
			t.Fatal(err)
		}
		work := l.Work(N, P)
		for p, st := range res.Forward {
			w := work[p]
			if st.Computed != w.Computed || st.Skipped != w.Skipped || st.Visible != w.Visible || st.Area != w.Area || st.Tokens != w.Tokens {
				t.Errorf("%v host %d: stats %+v, work %+v", l, p, st, w)
			}
			if len(st.Steps) != P || st.Wall <= 0 || st.PeakBytes <= 0 {
				t.Errorf("%v host %d: %d steps, wall %v, peak %d", l, p, len(st.Steps), st.Wall, st.PeakBytes)
			}
			// P−1 key/value blocks go out in the forward pass.
			var sent int64
			for s := 1; s < P; s++ {
				sent += int64(2 * len(l.Positions(N, P, (p-s+1+P)%P)) * E * 4)
			}
			if st.BytesSent != sent {
				t.Errorf("%v host %d: sent %d bytes, want %d", l, p, st.BytesSent, sent)
			}
		}
	}
}

// tcpLinks joins P in-process hosts by TCP on loopback.
func tcpLinks(t *testing.T, P int) []ringnet.Link {
	t.Helper()
	lns := make([]net.Listener, P)
	peers := make([]string, P)
	for r := range P {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[r], peers[r] = ln, ln.Addr().String()
	}
	links := make([]ringnet.Link, P)
	errs := make([]error, P)
	var wg sync.WaitGroup
	for r := range P {
		wg.Go(func() {
			links[r], errs[r] = ringnet.Dial(context.Background(), ringnet.Config{Rank: r, Peers: peers, Listener: lns[r], Hello: []byte("test")})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return links
}

func TestTransportsGiveTheSameBits(t *testing.T) {
	t.Parallel()
	const N, E, P = 301, 16, 4
	f32, _ := problem(N, E, 9)
	for _, l := range Layouts() {
		pr := Problem{N: N, E: E, Layout: l}
		a, err := Run(context.Background(), ringnet.Local(P), pr, f32[0], f32[1], f32[2], f32[3])
		if err != nil {
			t.Fatal(err)
		}
		b, err := Run(context.Background(), tcpLinks(t, P), pr, f32[0], f32[1], f32[2], f32[3])
		if err != nil {
			t.Fatal(err)
		}
		for i, pair := range [][2][]float32{{a.Out, b.Out}, {a.LSE, b.LSE}, {a.DQ, b.DQ}, {a.DK, b.DK}, {a.DV, b.DV}} {
			for j := range pair[0] {
				if math.Float32bits(pair[0][j]) != math.Float32bits(pair[1][j]) {
					t.Fatalf("%v: tensor %d element %d: local %v, tcp %v", l, i, j, pair[0][j], pair[1][j])
				}
			}
		}
	}
}

func TestRingStopsOnCancel(t *testing.T) {
	t.Parallel()
	const N, E, P = 4096, 32, 4
	f32, _ := problem(N, E, 2)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	start := time.Now()
	_, err := Run(ctx, ringnet.Local(P), Problem{N: N, E: E, Layout: Zigzag, ChunkRows: 64}, f32[0], f32[1], f32[2], f32[3])
	if err == nil || !strings.Contains(err.Error(), "interrupted") && !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want an interruption", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v to stop", d)
	}
}

func TestInputsAreNotChanged(t *testing.T) {
	t.Parallel()
	const N, E, P = 50, 4, 3
	f32, _ := problem(N, E, 5)
	var before [4][]float32
	for i := range f32 {
		before[i] = slices.Clone(f32[i])
	}
	if _, err := Run(context.Background(), ringnet.Local(P), Problem{N: N, E: E, Layout: Stripe}, f32[0], f32[1], f32[2], f32[3]); err != nil {
		t.Fatal(err)
	}
	for i := range f32 {
		if !slices.Equal(f32[i], before[i]) {
			t.Errorf("input %d changed", i)
		}
	}
	if _, err := Run(context.Background(), ringnet.Local(4), Problem{N: 3, E: E}, f32[0][:12], f32[1][:12], f32[2][:12], nil); err == nil {
		t.Error("3 positions on 4 hosts accepted")
	}
}

func TestParseLayouts(t *testing.T) {
	t.Parallel()
	if ls, err := ParseLayouts("all"); err != nil || !slices.Equal(ls, Layouts()) {
		t.Errorf("all: %v, %v", ls, err)
	}
	if ls, err := ParseLayouts("zigzag, stripe"); err != nil || !slices.Equal(ls, []Layout{Zigzag, Stripe}) {
		t.Errorf("zigzag, stripe: %v, %v", ls, err)
	}
	if _, err := ParseLayouts("zigzag,diagonal"); err == nil || !strings.Contains(err.Error(), `unknown layout "diagonal"`) {
		t.Errorf("diagonal: %v", err)
	}
	if _, err := ParseLayouts("zigzag,stripe,zigzag"); err == nil || err.Error() != `lists zigzag twice ("zigzag,stripe,zigzag"): give each value once` {
		t.Errorf("zigzag twice: %v", err)
	}
}
