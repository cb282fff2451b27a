package ringlab

import (
	"math"
	"math/rand/v2"
)

// The inputs of a run are seeded per row, so a host makes only its own
// rows and every host (in any process, on any machine) agrees on them:
// row i of tensor t is E standard normal draws from PCG(seed, t<<48 | i).
const (
	tensorQ = iota
	tensorK
	tensorV
	tensorDout
)

// row fills dst [E] with row i of tensor t.
func row(dst []float32, seed uint64, t, i int) {
	r := rand.New(rand.NewPCG(seed, uint64(t)<<48|uint64(i)))
	for e := range dst {
		dst[e] = float32(r.NormFloat64())
	}
}

// rows returns the rows of tensor t at the given positions, [len(pos), E].
func rows(seed uint64, t int, pos []int, E int) []float32 {
	x := make([]float32, len(pos)*E)
	for j, i := range pos {
		row(x[j*E:(j+1)*E], seed, t, i)
	}
	return x
}

// spot is the float64 reference for a few query rows of a long sequence,
// computed by streaming over the keys (no N×E or N×N array): for query
// positions rows it returns out [len, E], lse [len] and dq [len, E] of
// causal attention over the seeded q, k, v with output gradient dout.
func spot(seed uint64, E int, scale float64, qrows []int) (out, lse, dq []float64) {
	S := len(qrows)
	last := 0
	q, dout := make([][]float64, S), make([][]float64, S)
	buf := make([]float32, E)
	for s, i := range qrows {
		last = max(last, i)
		q[s], dout[s] = make([]float64, E), make([]float64, E)
		row(buf, seed, tensorQ, i)
		for e, x := range buf {
			q[s][e] = float64(x)
		}
		row(buf, seed, tensorDout, i)
		for e, x := range buf {
			dout[s][e] = float64(x)
		}
	}
	out, lse, dq = make([]float64, S*E), make([]float64, S), make([]float64, S*E)
	m, l := make([]float64, S), make([]float64, S)
	for s := range S {
		m[s] = math.Inf(-1)
	}
	k, v := make([]float64, E), make([]float64, E)
	load := func(j int) {
		row(buf, seed, tensorK, j)
		for e, x := range buf {
			k[e] = float64(x)
		}
		row(buf, seed, tensorV, j)
		for e, x := range buf {
			v[e] = float64(x)
		}
	}
	dot := func(a, b []float64) float64 {
		d := 0.0
		for e := range a {
			d += a[e] * b[e]
		}
		return d
	}
	// Pass 1: online softmax (running max m, sum l, unnormalised out).
	for j := 0; j <= last; j++ {
		load(j)
		for s, i := range qrows {
			if j > i {
				continue
			}
			x := scale * dot(q[s], k)
			o := out[s*E : (s+1)*E]
			if x > m[s] {
				a := math.Exp(m[s] - x)
				l[s] *= a
				for e := range o {
					o[e] *= a
				}
				m[s] = x
			}
			p := math.Exp(x - m[s])
			l[s] += p
			for e := range o {
				o[e] += p * v[e]
			}
		}
	}
	delta := make([]float64, S)
	for s := range S {
		o := out[s*E : (s+1)*E]
		for e := range o {
			o[e] /= l[s]
		}
		lse[s] = m[s] + math.Log(l[s])
		delta[s] = dot(dout[s], o)
	}
	// Pass 2: dq_i = scale Σ_j p_ij (dout_i·v_j − δ_i) k_j.
	for j := 0; j <= last; j++ {
		load(j)
		for s, i := range qrows {
			if j > i {
				continue
			}
			p := math.Exp(scale*dot(q[s], k) - lse[s])
			ds := scale * p * (dot(dout[s], v) - delta[s])
			g := dq[s*E : (s+1)*E]
			for e := range g {
				g[e] += ds * k[e]
			}
		}
	}
	return out, lse, dq
}

// checkRows picks n of a host's m rows to check (local indices): spread
// evenly, the last one included.
func checkRows(m, n int) []int {
	n = min(n, m)
	out := make([]int, 0, n)
	for j := range n {
		out = append(out, (m-1)*(j+1)/n)
	}
	return out
}
