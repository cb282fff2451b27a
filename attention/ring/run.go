package ring

import (
	"context"
	"fmt"
	"sync"

	"github.com/attnlab/attnlab/internal/ringnet"
)

// Shard returns host p's rows of x [N, E] (rows in position order) under
// the layout: [Size(N, P, p), E].
func (l Layout) Shard(x []float32, N, E, P, p int) []float32 {
	pos := l.Positions(N, P, p)
	out := make([]float32, len(pos)*E)
	for i, j := range pos {
		copy(out[i*E:(i+1)*E], x[j*E:(j+1)*E])
	}
	return out
}

// Unshard writes host p's rows part back into x [N, E] at their positions.
func (l Layout) Unshard(x, part []float32, N, E, P, p int) {
	for i, j := range l.Positions(N, P, p) {
		copy(x[j*E:(j+1)*E], part[i*E:(i+1)*E])
	}
}

// Result is a whole pass assembled from every host: tensors in position
// order, [N, E] (LSE [N]), and each host's statistics.
type Result struct {
	Out, LSE, DQ, DK, DV []float32
	Forward, Backward    []Stats // by host; Backward nil without a backward pass
}

// Run runs the ring on the given links, one goroutine per host (links from
// ringnet.Local, or TCP links joined inside this process): the forward pass
// of q, k, v [N, E], then, when dout is not nil, the backward pass. The
// hosts meet at a barrier before each pass, so their clocks start together.
func Run(ctx context.Context, links []ringnet.Link, pr Problem, q, k, v, dout []float32) (*Result, error) {
	P, N, E := len(links), pr.N, pr.E
	if err := pr.Check(P); err != nil {
		return nil, err
	}
	for _, x := range [][]float32{q, k, v} {
		if len(x) != N*E {
			return nil, fmt.Errorf("ring: an input has %d values, want %d×%d", len(x), N, E)
		}
	}
	back := dout != nil
	if back && len(dout) != N*E {
		return nil, fmt.Errorf("ring: dout has %d values, want %d×%d", len(dout), N, E)
	}
	res := &Result{Out: make([]float32, N*E), LSE: make([]float32, N), Forward: make([]Stats, P)}
	if back {
		res.DQ, res.DK, res.DV = make([]float32, N*E), make([]float32, N*E), make([]float32, N*E)
		res.Backward = make([]Stats, P)
	}
	errs := make([]error, P)
	var wg sync.WaitGroup
	for p, link := range links {
		wg.Go(func() {
			var err error
			defer func() {
				if err != nil {
					link.Abort(err)
				}
				if cerr := link.Close(); err == nil {
					err = cerr
				}
				errs[p] = err
			}()
			L := pr.Layout
			hq, hk, hv := L.Shard(q, N, E, P, p), L.Shard(k, N, E, P, p), L.Shard(v, N, E, P, p)
			if err = ringnet.Barrier(ctx, link); err != nil {
				return
			}
			out, lse, err := Forward(ctx, link, pr, hq, hk, hv, &res.Forward[p])
			if err != nil {
				return
			}
			L.Unshard(res.Out, out, N, E, P, p)
			L.Unshard(res.LSE, lse, N, 1, P, p)
			if !back {
				return
			}
			if err = ringnet.Barrier(ctx, link); err != nil {
				return
			}
			dq, dk, dv, err := Backward(ctx, link, pr, hq, hk, hv, out, lse, L.Shard(dout, N, E, P, p), &res.Backward[p])
			if err != nil {
				return
			}
			L.Unshard(res.DQ, dq, N, E, P, p)
			L.Unshard(res.DK, dk, N, E, P, p)
			L.Unshard(res.DV, dv, N, E, P, p)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}
