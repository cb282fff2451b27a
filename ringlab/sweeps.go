package ringlab

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/attnlab/attnlab/attention"
	"github.com/attnlab/attnlab/attention/ring"
	"github.com/attnlab/attnlab/internal/ringnet"
)

// ErrorRow is the ring's error against the float64 dense reference for one
// layout and ring size: the largest difference relative to the reference's
// largest magnitude (ring.RelError), per tensor, and the wall times.
type ErrorRow struct {
	Layout               ring.Layout
	Hosts                int
	Out, LSE, DQ, DK, DV float64
	Forward, Backward    time.Duration // slowest host's pass
	Reproduced           bool          // a second run gave the same bits
}

// ErrorSweep runs the ring with 1…maxP in-process hosts for each layout on
// one seeded problem of N positions and compares every output and gradient
// with the float64 dense reference (ring.ReferenceForward and
// ReferenceBackward).
func ErrorSweep(ctx context.Context, N, E, maxP int, layouts []ring.Layout, seed uint64) ([]ErrorRow, error) {
	if N < maxP || maxP < 1 || N > 1<<14 {
		return nil, fmt.Errorf("ringlab: error sweep of %d positions on up to %d hosts, want %d…16384 positions", N, maxP, maxP)
	}
	all := make([]int, N)
	for i := range all {
		all[i] = i
	}
	var x [4][]float32
	var x64 [4][]float64
	for t := range 4 {
		x[t] = rows(seed, t, all, E)
		x64[t] = make([]float64, N*E)
		for i, v := range x[t] {
			x64[t][i] = float64(v)
		}
	}
	scale := 1 / math.Sqrt(float64(E))
	wo, wl := ring.ReferenceForward(x64[0], x64[1], x64[2], N, E, scale, nil)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	wdq, wdk, wdv := ring.ReferenceBackward(x64[3], x64[0], x64[1], x64[2], N, E, scale)
	var out []ErrorRow
	for _, l := range layouts {
		for P := 1; P <= maxP; P++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			pr := ring.Problem{N: N, E: E, Layout: l}
			res, err := ring.Run(ctx, ringnet.Local(P), pr, x[0], x[1], x[2], x[3])
			if err != nil {
				return nil, err
			}
			again, err := ring.Run(ctx, ringnet.Local(P), pr, x[0], x[1], x[2], x[3])
			if err != nil {
				return nil, err
			}
			row := ErrorRow{Layout: l, Hosts: P,
				Out: ring.RelError(res.Out, wo), LSE: ring.RelError(res.LSE, wl),
				DQ: ring.RelError(res.DQ, wdq), DK: ring.RelError(res.DK, wdk), DV: ring.RelError(res.DV, wdv),
				Reproduced: sameAll(res, again)}
			for p := range P {
				row.Forward = max(row.Forward, res.Forward[p].Wall)
				row.Backward = max(row.Backward, res.Backward[p].Wall)
			}
			out = append(out, row)
		}
	}
	return out, nil
}

func sameAll(a, b *ring.Result) bool {
	return hash(a.Out, a.LSE, a.DQ, a.DK, a.DV) == hash(b.Out, b.LSE, b.DQ, b.DK, b.DV)
}

// The overlap condition. A host holding c tokens sends, each step, its
// key/value block — 2·c·E float32, 8cE bytes — while it computes a block
// pair. A full c×c pair costs 4c²E FLOPs (q·kᵀ and p·v, 2 FLOPs per
// multiply-add); under zigzag or stripe every step's pair is half masked,
// 2c²E. With F the host's FLOP rate and a link of latency α and bandwidth B,
// the transfer is hidden when
//
//	2c²E / F ≥ α + 8cE / B,  i.e. (α → 0)  c ≥ 4F/B
//
// (c ≥ 2F/B for full pairs; Liu et al.'s c ≥ F/B is the full pair in
// bf16). E cancels: the condition is on the block length alone. The
// backward pass sends dK/dV too (16cE bytes per step) and computes about
// 2.5 times the forward (FlashAttention-2: five products instead of two),
// so it needs c ≥ 3.2F/B for half pairs.

// OverlapRow is one block size of the overlap sweep.
type OverlapRow struct {
	Block, N int     // tokens per host, sequence length
	F        float64 // measured FLOP/s of one host while all compute
	// Per transferring step (means over the hosts' steps, medians over
	// overlapReps runs): the measured compute time; the transfer time
	// predicted from the measured link, α + bytes/B; the measured transfer
	// time and the part of it left exposed (kvTransfers).
	Compute, Predict, Transfer, Exposed time.Duration
	// Hidden share of the transfer time: predicted from F, α and B,
	//
	//	hidden_pred = Σ min(T_c, T_x) / Σ T_x  with T_c = 4E·visible/F, T_x = α + bytes/B,
	//
	// and measured, 1 − Σ exposed / Σ transfer.
	Predicted, Measured float64
}

// OverlapResult is the overlap sweep: the loopback link's measured
// latency and bandwidth and one row per block size.
type OverlapResult struct {
	Hosts     int
	Layout    ring.Layout
	E         int
	Alpha     time.Duration // per step
	Bandwidth float64       // bytes/s
	Rows      []OverlapRow
}

// Crossover is the block size at which a half-masked step's computation
// equals its transfer: the root of 2Ec²/F − 8Ec/B − α = 0.
func (o *OverlapResult) Crossover(F float64) float64 {
	E := float64(o.E)
	a, b, c := 2*E/F, -8*E/o.Bandwidth, -o.Alpha.Seconds()
	return (-b + math.Sqrt(b*b-4*a*c)) / (2 * a)
}

// Overlap measures the overlap condition on loopback TCP: P in-process
// hosts joined by TCP run the forward pass with each block size (c tokens
// per host, N = P·c) under layout l; F is measured by timing the kernel on
// a full c×c pair on all P hosts at once, α and B by timing ring steps
// that only transfer.
func Overlap(ctx context.Context, P, E int, blocks []int, l ring.Layout, seed uint64) (*OverlapResult, error) {
	if P < 2 || len(blocks) == 0 {
		return nil, fmt.Errorf("ringlab: overlap sweep needs at least 2 hosts and one block size")
	}
	blocks = slices.Sorted(slices.Values(blocks))
	if blocks[0] < 2 || blocks[len(blocks)-1] > 1<<14 {
		return nil, fmt.Errorf("ringlab: overlap block sizes %v, want 2…16384", blocks)
	}
	o := &OverlapResult{Hosts: P, Layout: l, E: E}
	var err error
	// The bandwidth needs a message long enough to dwarf the latency. On a
	// busy machine a measurement can still fail to resolve it (the large
	// step no slower than the small one): measure again, a few times.
	for try := range linkTries {
		o.Alpha, o.Bandwidth, err = measureLink(ctx, P, 8*blocks[0]*E, max(8*blocks[len(blocks)-1]*E, 4<<20))
		if !errors.Is(err, errNoSlope) || try == linkTries-1 {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	for _, c := range blocks {
		F, err := measureF(ctx, P, c, E)
		if err != nil {
			return nil, err
		}
		row := OverlapRow{Block: c, N: P * c, F: F}
		// Each block size runs overlapReps times; a row holds the medians,
		// so one scheduling hiccup on a shared machine does not decide it.
		var comps, preds, txs, trans, exps, hp, hm []float64
		for range overlapReps {
			cfg := Config{N: P * c, E: E, P: P, Layouts: []ring.Layout{l}, Seed: seed}
			links, err := tcpLinks(ctx, P, cfg.Hello())
			if err != nil {
				return nil, err
			}
			reports, err := RunLinks(ctx, cfg, links)
			if err != nil {
				return nil, err
			}
			st := passes(layoutRuns(reports, l), false)
			var comp, pmin, px float64
			for _, h := range st {
				for _, s := range h.Steps {
					if s.KVArrived == 0 {
						continue // the last step receives nothing
					}
					comp += (s.ComputeEnd - s.Start).Seconds()
					tc := 4 * float64(E) * float64(s.Visible) / F
					tx := o.Alpha.Seconds() + float64(s.Sent)/o.Bandwidth
					pmin += min(tc, tx)
					px += tx
				}
			}
			tr, ex, n := kvTransfers(st)
			k := float64(n)
			comps, preds, txs = append(comps, comp/k), append(preds, px/k), append(txs, tr.Seconds()/k)
			trans, exps = append(trans, tr.Seconds()), append(exps, ex.Seconds()/k)
			hp, hm = append(hp, pmin/px), append(hm, 1-ex.Seconds()/tr.Seconds())
		}
		row.Compute = time.Duration(median(comps) * 1e9)
		row.Predict = time.Duration(median(preds) * 1e9)
		row.Transfer = time.Duration(median(txs) * 1e9)
		row.Exposed = time.Duration(median(exps) * 1e9)
		row.Predicted, row.Measured = median(hp), median(hm)
		o.Rows = append(o.Rows, row)
	}
	return o, nil
}

// overlapReps is how many times the overlap sweep runs each block size.
const overlapReps = 5

func median(x []float64) float64 {
	y := slices.Sorted(slices.Values(x))
	return y[len(y)/2]
}

// tcpLinks joins P in-process hosts by TCP on loopback.
func tcpLinks(ctx context.Context, P int, hello []byte) ([]ringnet.Link, error) {
	lns := make([]net.Listener, P)
	peers := make([]string, P)
	for r := range P {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			for _, l := range lns[:r] {
				l.Close()
			}
			return nil, fmt.Errorf("ringlab: cannot listen on loopback: %v", err)
		}
		lns[r], peers[r] = ln, ln.Addr().String()
	}
	links := make([]ringnet.Link, P)
	errs := make([]error, P)
	var wg sync.WaitGroup
	for r := range P {
		wg.Go(func() {
			links[r], errs[r] = ringnet.Dial(ctx, ringnet.Config{Rank: r, Peers: peers, Listener: lns[r], Hello: hello, ConnectTimeout: 10 * time.Second})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			for _, l := range links {
				if l != nil {
					l.Abort(err)
				}
			}
			return nil, err
		}
	}
	return links, nil
}

// linkTries is how many times Overlap measures the link before it gives
// up on fitting it.
const linkTries = 3

// errNoSlope is fitLink's refusal: the large step was no slower.
var errNoSlope = errors.New("cannot fit the link")

// measureLink times ring steps that only transfer (every host sends a
// message to the next and receives one, as a ring step does) for a small
// and a large message, and fits time = α + bytes/B through the fastest
// step of each size (fitLink): a step's own cost is its fastest run, and
// what other processes take from the machine only adds to it, so the
// fastest runs are the ones a busy machine disturbs least.
func measureLink(ctx context.Context, P, small, large int) (alpha time.Duration, B float64, err error) {
	links, err := tcpLinks(ctx, P, []byte("attnlab ring link timing"))
	if err != nil {
		return 0, 0, err
	}
	const reps = 15
	times := make([][2][]float64, P)
	errs := make([]error, P)
	var wg sync.WaitGroup
	for p, l := range links {
		wg.Go(func() {
			defer l.Close()
			for si, size := range []int{small, large} {
				msg := make([]byte, size)
				var buf []byte
				for range reps + 2 {
					if err := ringnet.Barrier(ctx, l); err != nil {
						errs[p] = err
						return
					}
					t0 := time.Now()
					done := make(chan error, 1)
					go func() { done <- l.Send(ctx, ringnet.TagKV, msg) }()
					var err error
					buf, err = l.Recv(ctx, ringnet.TagKV, buf)
					if e := <-done; err == nil {
						err = e
					}
					if err != nil {
						errs[p] = err
						return
					}
					times[p][si] = append(times[p][si], time.Since(t0).Seconds())
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return 0, 0, err
		}
	}
	fastest := func(si int) float64 {
		best := math.Inf(1)
		for p := range P {
			best = min(best, slices.Min(times[p][si][2:])) // the first two warm up
		}
		return best
	}
	return fitLink(small, large, fastest(0), fastest(1))
}

// fitLink fits time = α + bytes/B through a small and a large message's
// step times t1 and t2 (seconds): B = (large − small)/(t2 − t1), α = t1 −
// small/B, at least 0. A large step no slower than the small one has no
// bandwidth to fit (errNoSlope).
func fitLink(small, large int, t1, t2 float64) (alpha time.Duration, B float64, err error) {
	if !(t2 > t1) || large <= small {
		return 0, 0, fmt.Errorf("ringlab: a %d-byte step (%.3g s) was not slower than a %d-byte one (%.3g s): %w", large, t2, small, t1, errNoSlope)
	}
	B = float64(large-small) / (t2 - t1)
	return time.Duration(max(0, t1-float64(small)/B) * 1e9), B, nil
}

// measureF is one host's FLOP rate on a full c×c block pair while all P
// hosts compute at once (as they do in the ring): 4c²E FLOPs per call.
func measureF(ctx context.Context, P, c, E int) (float64, error) {
	q, k, v := rows(1, tensorQ, upto(c), E), rows(1, tensorK, upto(c), E), rows(1, tensorV, upto(c), E)
	qpos, kpos := make([]int, c), upto(c)
	for i := range qpos {
		qpos[i] = c + i // every key visible
	}
	scale := float32(1 / math.Sqrt(float64(E)))
	calls := max(1, int(2e8/(4*float64(c)*float64(c)*float64(E)))) // ≈ 0.2 GFLOP per host
	var wg sync.WaitGroup
	t0 := time.Now()
	for range P {
		wg.Go(func() {
			out, lse := make([]float32, c*E), make([]float32, c)
			for range calls {
				if ctx.Err() != nil {
					return
				}
				attention.BlockForward(out, lse, q, k, v, qpos, kpos, E, scale)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return 4 * float64(c) * float64(c) * float64(E) * float64(calls) / time.Since(t0).Seconds(), nil
}

func upto(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	return p
}

// WhatIf is one accelerator and interconnect: the block size a ring needs
// on it to hide its transfers.
type WhatIf struct {
	Device, Link string
	F            float64 // dense bf16 FLOP/s
	B            float64 // bytes/s per direction on the ring's link
	Source       string
}

// WhatIfs are published figures for common pairs (dense bf16 peak; link
// bandwidth per direction).
var WhatIfs = []WhatIf{
	{"NVIDIA A100 SXM", "NVLink 3 (600 GB/s both ways)", 312e12, 300e9, "NVIDIA A100 datasheet"},
	{"NVIDIA A100 SXM", "InfiniBand HDR (200 Gb/s)", 312e12, 25e9, "NVIDIA A100 datasheet; NVIDIA Quantum HDR"},
	{"NVIDIA H100 SXM", "NVLink 4 (900 GB/s both ways)", 989e12, 450e9, "NVIDIA H100 datasheet (1979 TFLOP/s is with sparsity)"},
	{"NVIDIA H100 SXM", "InfiniBand NDR (400 Gb/s)", 989e12, 50e9, "NVIDIA H100 datasheet; NVIDIA ConnectX-7"},
	{"Google TPU v5p", "ICI (1200 GB/s per chip, both ways, 6 links)", 459e12, 100e9, "Google Cloud TPU v5p documentation"},
}

// MinBlock returns the block length c above which a ring step's transfer
// hides behind its computation, neglecting latency: c ≥ k·F/B with k =
// (bytes per element)·(elements sent per token)/(FLOPs per token pair):
// a full pair in bf16 needs c ≥ F/B (Liu et al. 2023), a half-masked one
// (zigzag, stripe) twice that; float32 doubles both.
func MinBlock(F, B float64, bytesPerElem int, halfMasked bool) float64 {
	c := float64(bytesPerElem) / 2 * F / B
	if halfMasked {
		c *= 2
	}
	return c
}
